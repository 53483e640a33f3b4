// RemoteShard: one replica of a shard that lives in another process, asked a
// batch of queries at a time.
//
// Two implementations: HttpShard (a vs-serve, over libcurl's multi interface,
// http_shard.h) and SshShard (`ssh host vs-query --stdio PATH`, ssh_shard.h).
// RemoteFanout (remote_fanout.h) drives them: it start()s every shard's
// batch, then finish()es each, so all shards work on a batch at once.
//
// Contract: connect() is called once before the first start() and reports
// the shard's dim and metric. start() begins a batch and must not block on
// the answer; finish() blocks until the answer is in or the shard failed
// (never longer than the per-request timeout the shard was built with, plus
// one retry where the implementation allows it). A shard is used by one
// thread at a time; RemoteBatch's queries must outlive finish().
//
// RemoteAnswer owns the id strings its hits view (a deque, so views stay
// valid as it grows); the hits are valid until the answer is reset.
#pragma once

#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/metric.h"
#include "core/status.h"
#include "query/hit.h"
#include "query/partial_result.h"
#include "query/query.h"

namespace vs {

struct RemoteInfo {
  uint32_t dim = 0;
  Metric metric = Metric::kL2;
};

struct RemoteBatch {
  std::span<const Query> queries;
  size_t default_k = 10;   // for queries that give none
  size_t default_ef = 64;
};

struct RemoteAnswer {
  bool ok = false;
  // When !ok: which address failed and why. `retry_elsewhere` is true for
  // failures another replica may not share (no connection, a timeout, a 5xx),
  // false for ones it would (a 400 for a bad k).
  ShardFailure failure;
  bool retry_elsewhere = false;
  std::vector<std::vector<Hit>> hits;  // per query of the batch, when ok
  std::deque<std::string> ids;         // owns the ids and metadata `hits` view

  void reset(size_t queries);
  void fail(std::string address, std::string reason, bool retry_elsewhere);
  void add_hit(size_t query, std::string_view id, float score, std::string_view meta = {});
};

class RemoteShard {
 public:
  virtual ~RemoteShard() = default;
  virtual const std::string& address() const = 0;
  // Unavailable naming the address when the shard cannot be reached, BadData
  // when it answers something that is not a shard description.
  virtual Expected<RemoteInfo> connect() = 0;
  virtual void start(const RemoteBatch& batch) = 0;
  virtual void finish(RemoteAnswer& answer) = 0;
};

// Appends `query` as one JSON object (no newline) with k and ef always set,
// so the remote side's own defaults never matter, and its filter (canonical
// form) and include when it has them. Vectors are written in the
// shortest form that reads back as the same float.
void append_query_json(const Query& query, size_t default_k, size_t default_ef, std::string& out);

// Checks a result object's id against the query it answers (the protocol
// answers in order; a mismatch means a confused peer, not a lost query).
bool result_matches(std::string_view result_id, const Query& query);

}  // namespace vs
