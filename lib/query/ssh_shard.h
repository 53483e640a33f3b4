// SshShard: a shard on another host, searched by `vs-query --stdio PATH`
// run there through ssh, over one persistent connection.
//
// The address is ssh://[user@]host/path. connect() runs
//   SSH... [user@]host REMOTE --stdio /path
// where SSH is the `ssh_command` words (VS_SSH replaces "ssh", for jump hosts
// and tests) and REMOTE the remote program (VS_REMOTE_QUERY, default
// "vs-query"). The remote side first writes one line {"dim":D,"metric":"M"},
// then answers each query line with one result line, in order. A batch is
// written while its answers are read (poll on both pipes), so a batch bigger
// than a pipe buffer cannot deadlock against a peer blocked on its output.
//
// start() hands the batch to a thread of the shard's own and returns; finish()
// joins it. A batch not answered within timeout_ms, an early EOF or a
// malformed line fails the batch and ends the ssh process (its stream is no
// longer in step); the next start() connects again. The shard owns the child
// process (reaped on destruction) and the thread. Not thread-safe beyond that.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "query/remote_shard.h"
#include "query/result_merge.h"
#include "query/shard_address.h"
#include "util/child_process.h"

namespace vs {

struct SshShardOptions {
  std::vector<std::string> ssh_command = {"ssh"};
  std::string remote_program = "vs-query";
  size_t timeout_ms = 10000;
};

class SshShard final : public RemoteShard {
 public:
  // Usage error when `address` is not ssh://[user@]host/path.
  static Expected<std::unique_ptr<SshShard>> create(std::string address, const SshShardOptions& options);
  ~SshShard() override;

  const std::string& address() const override { return address_; }
  Expected<RemoteInfo> connect() override;
  void start(const RemoteBatch& batch) override;
  void finish(RemoteAnswer& answer) override;

 private:
  SshShard(std::string address, std::vector<std::string> command, size_t timeout_ms)
      : address_(std::move(address)), command_(std::move(command)), timeout_ms_(timeout_ms) {}
  // Reads one line into `line` before `deadline_ms` (steady clock); the reason on failure.
  std::string read_line(int64_t deadline_ms, std::string& line);
  void exchange(const RemoteBatch& batch, RemoteAnswer& answer);

  std::string address_;
  std::vector<std::string> command_;
  size_t timeout_ms_;
  std::unique_ptr<ChildProcess> child_;
  std::string inbox_;  // bytes read past the last full line
  RemoteInfo info_;
  std::thread worker_;
  RemoteAnswer pending_;
  ResultLineParser parser_;
};

}  // namespace vs
