#include "query/ssh_shard.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <simdjson.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace vs {

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// ssh logs in, and perhaps hops through a jump host, before the remote side
// can greet us: allow it more than one request's timeout.
constexpr int64_t kMinConnectMs = 10000;

}  // namespace

Expected<std::unique_ptr<SshShard>> SshShard::create(std::string address, const SshShardOptions& options) {
  auto parsed = parse_ssh_address(address);
  if (!parsed.ok()) return parsed.status();
  std::vector<std::string> command = options.ssh_command;
  command.push_back(parsed->destination);
  command.push_back(options.remote_program);
  command.push_back("--stdio");
  command.push_back(parsed->path);
  return std::unique_ptr<SshShard>(new SshShard(std::move(address), std::move(command), options.timeout_ms));
}

SshShard::~SshShard() {
  if (worker_.joinable()) worker_.join();
}

std::string SshShard::read_line(int64_t deadline_ms, std::string& line) {
  for (;;) {
    size_t newline = inbox_.find('\n');
    if (newline != std::string::npos) {
      line.assign(inbox_, 0, newline);
      inbox_.erase(0, newline + 1);
      return {};
    }
    int64_t left = deadline_ms - now_ms();
    if (left <= 0) return "timed out after " + std::to_string(timeout_ms_) + " ms";
    pollfd in{child_->stdout_fd(), POLLIN, 0};
    int ready = ::poll(&in, 1, static_cast<int>(left));
    if (ready < 0 && errno != EINTR) return std::string("poll: ") + std::strerror(errno);
    if (ready <= 0) continue;
    char buffer[65536];
    ssize_t n = ::read(child_->stdout_fd(), buffer, sizeof buffer);
    if (n == 0) return "connection closed";
    if (n < 0 && errno != EINTR && errno != EAGAIN) return std::string("read: ") + std::strerror(errno);
    if (n > 0) inbox_.append(buffer, static_cast<size_t>(n));
  }
}

Expected<RemoteInfo> SshShard::connect() {
  child_.reset();
  inbox_.clear();
  auto child = ChildProcess::spawn(command_);
  if (!child.ok()) return Status::Unavailable("shard '" + address_ + "': " + child.status().message());
  child_ = std::move(child).value();
  // Non-blocking both ways: exchange() interleaves writing and reading.
  ::fcntl(child_->stdin_fd(), F_SETFL, ::fcntl(child_->stdin_fd(), F_GETFL) | O_NONBLOCK);
  ::fcntl(child_->stdout_fd(), F_SETFL, ::fcntl(child_->stdout_fd(), F_GETFL) | O_NONBLOCK);
  std::string greeting;
  std::string failure = read_line(now_ms() + std::max<int64_t>(kMinConnectMs, timeout_ms_), greeting);
  if (!failure.empty()) {
    child_.reset();
    return Status::Unavailable("shard '" + address_ + "': " + failure);
  }
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  uint64_t dim = 0;
  std::string_view metric_text;
  if (parser.parse(greeting).get_object().get(object) != simdjson::SUCCESS ||
      object["dim"].get_uint64().get(dim) != simdjson::SUCCESS ||
      object["metric"].get_string().get(metric_text) != simdjson::SUCCESS || dim == 0 || dim > UINT32_MAX ||
      !parse_metric(metric_text)) {
    child_.reset();
    return Status::BadData("shard '" + address_ + "': the remote side is not `vs-query --stdio`");
  }
  info_ = RemoteInfo{static_cast<uint32_t>(dim), *parse_metric(metric_text)};
  return info_;
}

void SshShard::start(const RemoteBatch& batch) {
  if (worker_.joinable()) worker_.join();
  worker_ = std::thread([this, &batch] { exchange(batch, pending_); });
}

void SshShard::finish(RemoteAnswer& answer) {
  if (worker_.joinable()) worker_.join();
  // Swapping deques keeps their elements in place, so the hits' views stay valid.
  std::swap(answer, pending_);
}

void SshShard::exchange(const RemoteBatch& batch, RemoteAnswer& answer) {
  answer.reset(batch.queries.size());
  if (!child_) {
    // The last batch broke the stream: start a fresh session.
    auto info = connect();
    if (!info.ok()) return answer.fail(address_, info.status().message(), true);
    if (info->dim != info_.dim) return answer.fail(address_, "its dimension changed", false);
  }
  std::string outbox;
  for (const Query& query : batch.queries) {
    append_query_json(query, batch.default_k, batch.default_ef, outbox);
    outbox.push_back('\n');
  }
  const int64_t deadline = now_ms() + static_cast<int64_t>(timeout_ms_);
  size_t written = 0;
  size_t answered = 0;
  std::string line;
  auto broken = [&](std::string reason) {
    child_.reset();
    answer.fail(address_, std::move(reason), true);
  };
  while (answered < batch.queries.size()) {
    // Complete lines already read are taken before waiting for more.
    size_t newline = inbox_.find('\n');
    if (newline != std::string::npos) {
      line.assign(inbox_, 0, newline);
      inbox_.erase(0, newline + 1);
      ResultLine result;
      Status parsed = parser_.parse(line, address_, answered + 1, result);
      if (!parsed.ok()) return broken(parsed.message());
      if (!result_matches(result.id, batch.queries[answered])) {
        return broken("answered '" + result.id + "' for query '" + batch.queries[answered].id + "'");
      }
      for (const Hit& hit : result.hits) answer.add_hit(answered, hit.id, hit.score, hit.meta);
      ++answered;
      continue;
    }
    int64_t left = deadline - now_ms();
    if (left <= 0) return broken("timed out after " + std::to_string(timeout_ms_) + " ms");
    pollfd fds[2] = {{child_->stdout_fd(), POLLIN, 0}, {child_->stdin_fd(), POLLOUT, 0}};
    const nfds_t count = written < outbox.size() ? 2 : 1;
    int ready = ::poll(fds, count, static_cast<int>(left));
    if (ready < 0 && errno != EINTR) return broken(std::string("poll: ") + std::strerror(errno));
    if (ready <= 0) continue;
    if (count == 2 && fds[1].revents != 0) {
      ssize_t n = ::write(child_->stdin_fd(), outbox.data() + written, outbox.size() - written);
      if (n < 0 && errno != EAGAIN && errno != EINTR) return broken(std::string("write: ") + std::strerror(errno));
      if (n > 0) written += static_cast<size_t>(n);
    }
    if (fds[0].revents != 0) {
      char buffer[65536];
      ssize_t n = ::read(child_->stdout_fd(), buffer, sizeof buffer);
      if (n == 0) return broken("connection closed");
      if (n < 0 && errno != EAGAIN && errno != EINTR) return broken(std::string("read: ") + std::strerror(errno));
      if (n > 0) inbox_.append(buffer, static_cast<size_t>(n));
    }
  }
  answer.ok = true;
}

}  // namespace vs
