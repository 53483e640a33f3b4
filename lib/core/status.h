// Status and Expected<T>: how errors travel through libvs.
//
// Library code never prints, throws across its boundary or exits; it returns a
// Status (or an Expected<T> holding either a value or a non-ok Status) whose
// message already names the file, line or request and the reason, e.g.
//   "docs.jsonl:12: 'vec' has 3 numbers, expected 784".
// Only a tool's main decides the exit status, through the Code (see
// lib/cli/tool.h for the mapping). Corruption of our own files is its own
// kind, distinct from bad user input and from I/O failures.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace vs {

enum class Code {
  kOk,
  kUsage,         // the caller asked for something impossible (bad flag value): exit 2
  kIoError,       // the operating system refused: open, write, mmap, fsync: exit 1
  kBadData,       // input data is invalid (JSON, vector, dimension): exit 65
  kCorruption,    // one of our own files fails its checks (magic, checksum, size): exit 65
  kBrokenPipe,    // the reader of our output went away: exit quietly
  kUnavailable,   // a peer (shard, server) did not answer: exit 1
  kInternal,      // a bug: exit 1
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return {}; }
  static Status Usage(std::string msg) { return {Code::kUsage, std::move(msg)}; }
  static Status IoError(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status BadData(std::string msg) { return {Code::kBadData, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status BrokenPipe() { return {Code::kBrokenPipe, "broken pipe"}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with context, e.g. the file name: "idx/a.vsi: " + msg.
  Status with_context(const std::string& context) && {
    if (!ok()) message_ = context + ": " + message_;
    return std::move(*this);
  }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a T or a non-ok Status. Construct from either; check ok() before value().
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Expected(Status status) : state_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(state_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // The error; Status::Ok() when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(state_); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace vs

// Returns early from the enclosing function when `expr` yields a non-ok Status.
#define VS_RETURN_IF_ERROR(expr)          \
  do {                                    \
    ::vs::Status vs_status_ = (expr);     \
    if (!vs_status_.ok()) return vs_status_; \
  } while (0)
