#include "index/hnsw_builder.h"

#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "index/distance_fn.h"
#include "index/prefetch.h"
#include "index/search_context.h"
#include "index/sq8.h"
#include "util/parallel.h"

namespace vs {
namespace {

// Levels above this are never drawn in practice (probability m^-31); the cap
// keeps a level in one byte and bounds the upper-link arrays.
constexpr int kMaxLevel = 31;

void free_aligned(std::byte* p) { std::free(p); }

// A zero-filled, 64-byte aligned buffer (at least 64 bytes, so an empty graph
// still has a valid pointer); null if memory runs out.
std::unique_ptr<std::byte[], void (*)(std::byte*)> zeroed_aligned(size_t bytes) {
  bytes = std::max<size_t>(64, round_up64(bytes));
  void* raw = std::aligned_alloc(64, bytes);
  if (raw != nullptr) std::memset(raw, 0, bytes);
  return {static_cast<std::byte*>(raw), free_aligned};
}

// splitmix64: a seeded, well-mixed hash of the node number, so each node's
// level is fixed by (seed, node) and not by which thread inserts it when.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

int draw_level(uint64_t seed, uint32_t node, double level_mult) {
  double u = (static_cast<double>(mix(seed ^ mix(node)) >> 11) + 1.0) / 9007199254740993.0;  // (0, 1]
  int level = static_cast<int>(-std::log(u) * level_mult);
  return std::min(level, kMaxLevel);
}

// Per-thread scratch for insertions: the search context plus selection buffers.
struct BuildScratch {
  SearchContext search;
  std::vector<std::vector<Neighbor>> selected;  // per level, for the node being inserted
  std::vector<Neighbor> candidates;
  std::vector<Neighbor> pool;
  std::vector<Neighbor> kept;
  std::vector<uint32_t> links_copy;
};

class Builder {
 public:
  Builder(BuiltGraph& g, const DistanceFn& distance)
      : g_(g), view_(g.view()), distance_(distance), locks_(g.count) {}

  void insert(uint32_t node, BuildScratch& scratch);
  uint32_t entry_point() const { return entry_point_.load(); }
  int max_level() const { return max_level_.load(); }

 private:
  uint32_t max_degree(int level) const { return level == 0 ? view_.m0 : view_.m; }
  uint32_t* mutable_links(uint32_t node, int level) { return const_cast<uint32_t*>(view_.links(node, level)); }
  float node_distance(uint32_t a, uint32_t b) const {
    return distance_(view_.vector(a), view_.vector(b), view_.dim_padded);
  }
  float distance_within(const float* query, uint32_t node, float bound) const {
    return distance_.within(query, view_.vector(node), view_.dim_padded, bound);
  }
  void copy_links(uint32_t node, int level, std::vector<uint32_t>& out);
  uint32_t greedy_descend(const float* query, uint32_t entry, int from_level, int to_level, BuildScratch& s);
  void search_level(const float* query, uint32_t entry, int level, BuildScratch& s);
  void select_neighbours(std::vector<Neighbor>& candidates, uint32_t max_count, std::vector<Neighbor>& out);
  void connect(uint32_t node, int level, const std::vector<Neighbor>& selected, BuildScratch& s);

  BuiltGraph& g_;
  GraphView view_;
  DistanceFn distance_;
  std::vector<std::mutex> locks_;
  std::mutex top_lock_;  // guards entry_point / max_level changes
  std::atomic<uint32_t> entry_point_{0};
  std::atomic<int> max_level_{-1};
};

void Builder::copy_links(uint32_t node, int level, std::vector<uint32_t>& out) {
  std::lock_guard<std::mutex> guard(locks_[node]);
  const uint32_t* links = view_.links(node, level);
  out.assign(links + 1, links + 1 + links[0]);
}

uint32_t Builder::greedy_descend(const float* query, uint32_t entry, int from_level, int to_level,
                                 BuildScratch& s) {
  uint32_t current = entry;
  float current_distance = distance_(query, view_.vector(current), view_.dim_padded);
  for (int level = from_level; level > to_level; --level) {
    bool improved = true;
    while (improved) {
      improved = false;
      copy_links(current, level, s.links_copy);
      for (uint32_t candidate : s.links_copy) {
        float d = distance_within(query, candidate, current_distance);
        if (d < current_distance) {
          current_distance = d;
          current = candidate;
          improved = true;
        }
      }
    }
  }
  return current;
}

// Best-first search of one level with ef_construction candidates; leaves the
// result (unordered) in s.search.results.
void Builder::search_level(const float* query, uint32_t entry, int level, BuildScratch& s) {
  const size_t ef = g_.params.ef_construction;
  SearchContext& c = s.search;
  c.visited.reset(view_.count);
  c.visited.test_and_set(entry);
  c.begin({distance_(query, view_.vector(entry), view_.dim_padded), entry});
  const size_t lines = prefetch_lines_for(size_t{view_.dim_padded} * sizeof(float));
  Neighbor closest;
  while (c.next_candidate(ef, closest)) {
    // As in the query-time search: gather the unvisited neighbours, then
    // compare each while the next one's vector is on its way from memory.
    copy_links(closest.node, level, s.links_copy);
    if (!c.candidates.empty()) __builtin_prefetch(view_.links(c.candidates.front().node, level));  // likely next
    uint32_t fresh = 0;
    for (uint32_t neighbour : s.links_copy) {
      if (!c.visited.test_and_set(neighbour)) s.links_copy[fresh++] = neighbour;
    }
    if (fresh > 0) prefetch_lines(view_.vector(s.links_copy[0]), lines);
    for (uint32_t i = 0; i < fresh; ++i) {
      if (i + 1 < fresh) prefetch_lines(view_.vector(s.links_copy[i + 1]), lines);
      const uint32_t neighbour = s.links_copy[i];
      c.offer({distance_within(query, neighbour, c.bound(ef)), neighbour}, ef);
    }
  }
}

// The paper's heuristic (algorithm 4): take candidates closest first, and keep
// one only if it is closer to the new node than to every neighbour kept so
// far. This keeps links pointing in diverse directions, which is what lets
// greedy search cross between clusters.
void Builder::select_neighbours(std::vector<Neighbor>& candidates, uint32_t max_count,
                                std::vector<Neighbor>& out) {
  out.clear();
  std::sort(candidates.begin(), candidates.end());
  if (candidates.size() <= max_count) {
    out = candidates;
    return;
  }
  for (const Neighbor& candidate : candidates) {
    if (out.size() >= max_count) break;
    bool diverse = true;
    for (const Neighbor& kept : out) {
      if (distance_within(view_.vector(candidate.node), kept.node, candidate.distance) < candidate.distance) {
        diverse = false;
        break;
      }
    }
    if (diverse) out.push_back(candidate);
  }
}

// Links `node` to s.selected at `level`, and each selected neighbour back to
// `node`, shrinking the neighbour's list with the heuristic when it is full.
void Builder::connect(uint32_t node, int level, const std::vector<Neighbor>& selected_neighbours,
                      BuildScratch& s) {
  const uint32_t limit = max_degree(level);
  {
    std::lock_guard<std::mutex> guard(locks_[node]);
    uint32_t* links = mutable_links(node, level);
    links[0] = static_cast<uint32_t>(selected_neighbours.size());
    for (size_t i = 0; i < selected_neighbours.size(); ++i) links[1 + i] = selected_neighbours[i].node;
  }
  for (const Neighbor& selected : selected_neighbours) {
    uint32_t other = selected.node;
    std::lock_guard<std::mutex> guard(locks_[other]);
    uint32_t* links = mutable_links(other, level);
    uint32_t degree = links[0];
    if (std::find(links + 1, links + 1 + degree, node) != links + 1 + degree) continue;
    if (degree < limit) {
      links[1 + degree] = node;
      links[0] = degree + 1;
      continue;
    }
    s.pool.clear();
    s.pool.push_back({selected.distance, node});
    for (uint32_t i = 0; i < degree; ++i) s.pool.push_back({node_distance(other, links[1 + i]), links[1 + i]});
    select_neighbours(s.pool, limit, s.kept);
    links[0] = static_cast<uint32_t>(s.kept.size());
    for (size_t i = 0; i < s.kept.size(); ++i) links[1 + i] = s.kept[i].node;
  }
}

void Builder::insert(uint32_t node, BuildScratch& s) {
  const int level = g_.levels[node];
  std::unique_lock<std::mutex> top_guard(top_lock_);
  const int top = max_level_.load();
  if (top < 0) {  // the first node becomes the entry point
    entry_point_ = node;
    max_level_ = level;
    return;
  }
  // Only an insertion that raises the top level keeps the global lock.
  if (level <= top) top_guard.unlock();
  const uint32_t entry = entry_point_.load();

  // Choose the neighbours on every level first and link bottom-up: the node
  // becomes reachable on an upper level only once its base-level links exist,
  // so a concurrent search that descends onto it never lands on a node with
  // no way down (which, on clustered data, strands that insertion in the
  // wrong cluster with one or two links).
  const float* query = view_.vector(node);
  const int linked_top = std::min(level, top);
  if (s.selected.size() < static_cast<size_t>(linked_top) + 1) s.selected.resize(linked_top + 1);
  uint32_t current = greedy_descend(query, entry, top, level, s);
  for (int l = linked_top; l >= 0; --l) {
    search_level(query, current, l, s);
    s.candidates.assign(s.search.results.begin(), s.search.results.end());
    std::erase_if(s.candidates, [node](const Neighbor& n) { return n.node == node; });
    select_neighbours(s.candidates, g_.params.m, s.selected[l]);  // sorts s.candidates
    if (!s.candidates.empty()) current = s.candidates.front().node;
  }
  for (int l = 0; l <= linked_top; ++l) connect(node, l, s.selected[l], s);
  if (level > top) {
    entry_point_ = node;
    max_level_ = level;
  }
}

// Pruning with the heuristic can drop every link into a node, leaving it
// unreachable on the base level: no search could ever return it (about 0.2% of
// nodes on Fashion-MNIST). This pass, run once after the parallel build, finds
// them by a breadth-first walk from the entry point and links each from its
// closest reachable neighbour, displacing that neighbour's farthest link when
// full (only a link whose target has other incoming links, so nothing new is
// orphaned). Returns how many nodes were reconnected.
size_t connect_unreachable(GraphView view, const DistanceFn& distance) {
  const uint32_t count = view.count;
  if (count < 2) return 0;
  std::vector<uint32_t> in_degree(count, 0);
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t* links = view.links0(i);
    for (uint32_t j = 0; j < links[0]; ++j) ++in_degree[links[1 + j]];
  }
  std::vector<char> reached(count, 0);
  std::vector<uint32_t> queue;
  auto walk_from = [&](uint32_t start) {
    queue.assign(1, start);
    reached[start] = 1;
    for (size_t head = 0; head < queue.size(); ++head) {
      const uint32_t* links = view.links0(queue[head]);
      for (uint32_t j = 0; j < links[0]; ++j) {
        uint32_t next = links[1 + j];
        if (!reached[next]) {
          reached[next] = 1;
          queue.push_back(next);
        }
      }
    }
  };
  walk_from(view.entry_point);

  size_t repaired = 0;
  bool progress = true;
  while (progress) {
    progress = false;
    for (uint32_t u = 0; u < count; ++u) {
      if (reached[u]) continue;
      // The closest reachable node among u's own neighbours links back to u.
      const uint32_t* out = view.links0(u);
      uint32_t best = count;
      float best_distance = 0;
      for (uint32_t j = 0; j < out[0]; ++j) {
        uint32_t v = out[1 + j];
        float d = distance(view.vector(u), view.vector(v), view.dim_padded);
        if (reached[v] && (best == count || d < best_distance)) {
          best = v;
          best_distance = d;
        }
      }
      if (best == count) continue;  // try again once more of the graph is reached
      auto* links = const_cast<uint32_t*>(view.links0(best));
      if (links[0] < view.m0) {
        links[1 + links[0]++] = u;
      } else {
        int victim = -1;
        float victim_distance = -1;
        for (uint32_t j = 0; j < links[0]; ++j) {
          uint32_t w = links[1 + j];
          float d = distance(view.vector(best), view.vector(w), view.dim_padded);
          if (in_degree[w] > 1 && d > victim_distance) {
            victim = static_cast<int>(j);
            victim_distance = d;
          }
        }
        if (victim < 0) continue;
        --in_degree[links[1 + victim]];
        links[1 + victim] = u;
      }
      ++in_degree[u];
      ++repaired;
      progress = true;
      walk_from(u);
    }
  }
  return repaired;
}

// The order in which the builder holds each vector's dimensions: by falling
// variance (over a sample of the vectors). l2 is the same in any order, but a
// bounded l2 (DistanceFn::within) that sums the widest-spread dimensions first
// passes its bound, and stops, sooner. Measured on Fashion-MNIST (whose first
// and last pixels are nearly always background), building: about 62% of the
// build's distances pass their bound either way, and they are caught after
// 63% of the vector on average instead of 77% (checked every 64 floats).
std::vector<uint32_t> dimensions_by_spread(std::span<const float> vectors, uint32_t dim) {
  const size_t count = vectors.size() / dim;
  const size_t step = std::max<size_t>(1, (count + 9999) / 10000);  // at most 10,000 vectors
  std::vector<double> sum(dim, 0.0), sum_sq(dim, 0.0);
  size_t sampled = 0;
  for (size_t i = 0; i < count; i += step, ++sampled) {
    const float* v = vectors.data() + i * dim;
    for (uint32_t d = 0; d < dim; ++d) {
      sum[d] += v[d];
      sum_sq[d] += double{v[d]} * v[d];
    }
  }
  std::vector<double> variance(dim, 0.0);
  if (sampled > 0) {
    for (uint32_t d = 0; d < dim; ++d) {
      double mean = sum[d] / double(sampled);
      variance[d] = sum_sq[d] / double(sampled) - mean * mean;
    }
  }
  std::vector<uint32_t> order(dim);
  for (uint32_t d = 0; d < dim; ++d) order[d] = d;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return variance[a] > variance[b]; });
  return order;
}

// Writes each vector as float into base + i * stride: with its dimensions in
// `order` (position j holds dimension order[j]), or as given if order is empty.
void store_vectors(std::span<const float> vectors, uint32_t dim, std::span<const uint32_t> order, std::byte* base,
                   size_t stride) {
  parallel_for(0, vectors.size() / dim, 1024, [&](size_t begin, size_t end) {
    for (size_t i = begin; i != end; ++i) {
      const float* v = vectors.data() + i * dim;
      auto* out = reinterpret_cast<float*>(base + i * stride);
      if (order.empty()) {
        std::memcpy(out, v, dim * sizeof(float));
      } else {
        for (uint32_t j = 0; j < dim; ++j) out[j] = v[order[j]];
      }
    }
  });
}

}  // namespace

GraphView BuiltGraph::view() const {
  GraphView v;
  v.nodes = nodes.get();
  v.node_stride = node_stride;
  v.links_offset = links_offset_for(dim, params.sq8);
  v.vectors = params.sq8 ? vectors.get() : nodes.get();
  v.vector_stride = params.sq8 ? vector_bytes_for(dim) : node_stride;
  if (params.sq8) {
    v.sq8_min = sq8_min.data();
    v.sq8_scale = sq8_scale.data();
  }
  v.dim_order = dim_order.empty() ? nullptr : dim_order.data();
  v.dim = dim;
  v.dim_padded = padded_dim(dim);
  v.metric = metric;
  v.m = params.m;
  v.m0 = 2 * params.m;
  v.count = count;
  v.entry_point = entry_point;
  v.max_level = max_level;
  v.levels = levels.data();
  v.upper_offsets = upper_offsets.data();
  v.upper_links = upper_links.data();
  v.upper_words = upper_links.size();
  return v;
}

Expected<BuiltGraph> build_hnsw(std::span<const float> vectors, uint32_t dim, Metric metric,
                                const HnswParams& params, BuildProgress progress, void* progress_user) {
  if (dim == 0) return Status::Usage("dimension must be positive");
  if (params.m < 2 || params.m > 255) return Status::Usage("-M must be between 2 and 255");
  if (params.ef_construction < 1) return Status::Usage("--ef-construction must be positive");
  if (vectors.size() % dim != 0) return Status::Internal("vector buffer is not a multiple of dim");
  const size_t count = vectors.size() / dim;
  if (count > 0xFFFFFFFEu) return Status::Usage("a shard holds at most 4294967294 vectors");

  BuiltGraph g;
  g.dim = dim;
  g.metric = metric;
  g.params = params;
  g.count = static_cast<uint32_t>(count);
  const uint32_t m0 = 2 * params.m;
  g.node_stride = node_stride_for(dim, m0, params.sq8);
  g.nodes = zeroed_aligned(g.node_stride * count);
  if (!g.nodes) return Status::IoError("out of memory allocating the graph");
  std::byte* float_base = g.nodes.get();
  size_t float_stride = g.node_stride;
  if (params.sq8) {
    float_stride = vector_bytes_for(dim);
    g.vectors = zeroed_aligned(float_stride * count);
    if (!g.vectors) return Status::IoError("out of memory allocating the graph");
    float_base = g.vectors.get();
    Sq8Ranges ranges = train_sq8(vectors, dim);
    g.sq8_min = std::move(ranges.min);
    g.sq8_scale = std::move(ranges.scale);
    for (size_t i = 0; i < count; ++i) {
      encode_sq8(vectors.data() + i * dim, dim, g.sq8_min.data(), g.sq8_scale.data(),
                 reinterpret_cast<uint8_t*>(g.nodes.get() + i * g.node_stride));
    }
  }
  const DistanceFn distance = DistanceFn::for_metric(metric);
  // A bounded distance stops soonest with the widest-spread dimensions first.
  const std::vector<uint32_t> order =
      distance.bounded != nullptr ? dimensions_by_spread(vectors, dim) : std::vector<uint32_t>{};
  store_vectors(vectors, dim, order, float_base, float_stride);

  // Levels first, so the upper-link arrays can be sized once and never move
  // while threads write into them.
  const double level_mult = 1.0 / std::log(static_cast<double>(params.m));
  g.levels.resize(count);
  g.upper_offsets.resize(count);
  size_t upper_size = 0;
  for (uint32_t i = 0; i < count; ++i) {
    int level = draw_level(params.seed, i, level_mult);
    g.levels[i] = static_cast<uint8_t>(level);
    g.upper_offsets[i] = static_cast<uint32_t>(upper_size);
    upper_size += static_cast<size_t>(level) * (params.m + 1);
  }
  if (upper_size > 0xFFFFFFFFu) return Status::Usage("too many vectors for one shard");
  g.upper_links.assign(upper_size, 0);
  if (count == 0) return g;

  Builder builder(g, distance);
  tbb::enumerable_thread_specific<BuildScratch> scratch;
  std::atomic<uint64_t> done{0};
  std::mutex progress_lock;
  const uint64_t report_every = std::max<uint64_t>(1, count / 100);

  BuildScratch& first = scratch.local();
  builder.insert(0, first);
  parallel_for(1, count, 64, [&](size_t begin, size_t end) {
    BuildScratch& s = scratch.local();
    for (size_t i = begin; i != end; ++i) {
      builder.insert(static_cast<uint32_t>(i), s);
      uint64_t n = done.fetch_add(1) + 2;
      if (progress != nullptr && n % report_every == 0) {
        std::lock_guard<std::mutex> guard(progress_lock);
        progress(progress_user, n, count);
      }
    }
  });

  g.entry_point = builder.entry_point();
  g.max_level = builder.max_level();
  connect_unreachable(g.view(), distance);
  if (params.sq8) {
    if (!order.empty()) store_vectors(vectors, dim, {}, float_base, float_stride);  // the caller's order again
  } else {
    g.dim_order = order;
  }
  return g;
}

}  // namespace vs
