// Hit: one search result (a document id and its score), and the merge that
// turns several shards' or streams' hits into one global top-k.
//
// A Hit does not own its id: it views memory owned elsewhere (a mapped shard
// file, a parser's string buffer) and is valid only while that lives. Scores
// follow core/metric.h: higher is better for every metric. Order is total and
// deterministic: higher score first, then the smaller id (bytewise), so the
// same hits merge to the same list however they were split across shards.
#pragma once

#include <string_view>
#include <vector>

namespace vs {

struct Hit {
  std::string_view id;
  float score = 0.0f;
  std::string_view meta;  // the document's metadata JSON object, when asked for; else empty
};

// True when `a` ranks before `b`: higher score, then smaller id.
inline bool ranks_before(const Hit& a, const Hit& b) {
  if (a.score != b.score) return a.score > b.score;
  return a.id < b.id;
}

// Reorders `hits` in place into the global top-k: each document id kept once
// (with its best score), best first, at most `k` entries. Allocates nothing.
void merge_top_k(std::vector<Hit>& hits, size_t k);

}  // namespace vs
