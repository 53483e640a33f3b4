#include "query/hit.h"

#include <algorithm>

namespace vs {

// Deduplication sorts by id first (so copies of a document sit together with
// the best one in front), keeps the first of each run, then ranks by score.
// Duplicates are rare (only when the same document sits in two shards or two
// result streams), but this costs O(n log n) in place with no extra memory,
// and n is shards × k, small next to the searches that produced it.
void merge_top_k(std::vector<Hit>& hits, size_t k) {
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    if (a.id != b.id) return a.id < b.id;
    return a.score > b.score;
  });
  auto last = std::unique(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) { return a.id == b.id; });
  hits.erase(last, hits.end());
  if (hits.size() > k) {
    std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(k), hits.end(), ranks_before);
    hits.resize(k);
  } else {
    std::sort(hits.begin(), hits.end(), ranks_before);
  }
}

}  // namespace vs
