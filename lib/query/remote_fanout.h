// RemoteFanout: every remote shard of a vs-query run, asked each batch at once.
//
// open() builds one RemoteShard per replica address (HttpShard for http(s)://,
// SshShard for ssh://), all HTTP ones on one shared CurlMulti, and connects
// each shard to its first replica that answers; every shard must report the
// same dim and metric (Usage error naming the shard that differs, as for
// local shards). An unreachable shard is an Unavailable error naming it,
// unless `tolerate_down` (vs-query --partial): then it stays in the run,
// unconnected, and each batch tries it again (and reports it failed) until
// it answers; at least one shard must answer at open, to learn the dim
// (else Unavailable "no remote shard answered" with the first one's failure).
//
// search() starts the batch on every shard, then collects the answers; a
// replica that fails in a way another may not (no connection, a timeout, a
// 5xx) is skipped: the batch is asked of the next replica, which stays the
// shard's choice for later batches. answers[i] is shard i's answer; a shard
// whose replicas all failed has !ok and the failure of the last one tried.
//
// The fanout owns the shards and the CurlMulti. Not thread-safe: one caller
// at a time (the query runner's serial remote stage).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "query/curl_multi.h"
#include "query/remote_shard.h"
#include "query/shard_address.h"

namespace vs {

struct RemoteOptions {
  size_t timeout_ms = 10000;               // per shard request
  std::string token;                       // bearer token for HTTP shards; empty: none
  std::vector<std::string> ssh_command = {"ssh"};
  std::string remote_program = "vs-query";
};

class RemoteFanout {
 public:
  static Expected<std::unique_ptr<RemoteFanout>> open(const std::vector<ShardReplicas>& shards,
                                                      const RemoteOptions& options, bool tolerate_down = false);
  ~RemoteFanout();

  size_t shard_count() const { return shards_.size(); }
  const RemoteInfo& info() const { return info_; }
  // Usage error naming both sides when the remote shards' dim or metric
  // differ from those of the local shard `local_name`.
  Status check_agrees(uint32_t dim, Metric metric, const std::string& local_name) const;

  // The address shard `index` currently uses.
  const std::string& address(size_t index) const;

  // Asks every shard for `batch`; fills answers (resized to shard_count()).
  void search(const RemoteBatch& batch, std::vector<RemoteAnswer>& answers);

 private:
  struct Shard {
    std::vector<std::unique_ptr<RemoteShard>> replicas;
    std::vector<bool> connected;
    size_t current = 0;
  };
  RemoteFanout() = default;
  Status connect_replica(Shard& shard, size_t replica);
  bool fail_over(Shard& shard, size_t& tried);
  // Connects the shard's current replica if it is not; false (and the
  // failure in `answer`) when it cannot.
  bool ensure_connected(Shard& shard, const RemoteBatch& batch, RemoteAnswer& answer);

  std::unique_ptr<CurlMulti> multi_;  // declared first: destroyed after the shards on it
  std::vector<Shard> shards_;
  RemoteInfo info_;
  bool have_info_ = false;
};

}  // namespace vs
