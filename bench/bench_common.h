// What the benchmark harnesses (ann-compare, filter-compare) share: clocks,
// facts about the host, files, and the text of their reports.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace vs::bench {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start);
// CPU seconds of the calling thread (a search) or of the whole process (a build).
double thread_cpu_s();
double process_cpu_s();

// Prints "PROG: MESSAGE" on stderr and exits with status 1.
[[noreturn]] void fail(const char* prog, const std::string& message);

std::string cpu_model();  // /proc/cpuinfo's first "model name", or "unknown"
std::string utc_now();    // e.g. 2026-11-29T02:02:46Z
// Writes `text` to `path`, replacing it; fails (exit 1) if it cannot.
void write_text(const char* prog, const std::string& path, const std::string& text);

// A private directory (TMP/vs-PROG-XXXXXX, TMP the system's when `parent` is
// empty), removed with everything in it when this goes; fails (exit 1) if it
// cannot be created.
class TempDir {
 public:
  TempDir(const char* prog, const std::string& parent);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Report text: printf of one number; a / b (nullopt unless both are there and
// b > 0); a JSON number (null for nullopt or non-finite); a JSON string.
std::string format(const char* fmt, double value);
std::optional<double> ratio(const std::optional<double>& a, const std::optional<double>& b);
std::string json_number(const std::optional<double>& value);
std::string json_string(const std::string& text);

}  // namespace vs::bench
