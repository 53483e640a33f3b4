#include "query/shard_set.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "format/manifest.h"
#include "index/exact_search.h"
#include "index/hnsw_search.h"

namespace vs {

namespace {

bool same_fields(const FieldIndex& a, const FieldIndex& b) {
  if (a.field_count() != b.field_count()) return false;
  for (size_t i = 0; i < a.field_count(); ++i) {
    if (a.name(i) != b.name(i) || a.kinds(i) != b.kinds(i)) return false;
  }
  return true;
}

}  // namespace

Expected<ShardSet> ShardSet::open(const std::vector<std::string>& args, bool verify) {
  auto paths = resolve_shard_paths(args);
  if (!paths.ok()) return paths.status();
  if (paths->empty()) return Status::Usage("no shards to search");
  ShardSet set;
  for (const std::string& path : *paths) {
    auto reader = ShardReader::open(path);
    if (!reader.ok()) return reader.status();
    if (verify) VS_RETURN_IF_ERROR((*reader)->verify());
    const ShardReader& shard = **reader;
    if (set.shards_.empty()) {
      set.dim_ = shard.dim();
      set.metric_ = shard.metric();
    } else if (shard.dim() != set.dim_ || shard.metric() != set.metric_) {
      const ShardReader& first = *set.shards_.front();
      return Status::Usage("shard '" + path + "' has dim " + std::to_string(shard.dim()) + " and metric " +
                           std::string(metric_name(shard.metric())) + ", but '" + first.path() + "' has dim " +
                           std::to_string(set.dim_) + " and metric " + std::string(metric_name(set.metric_)));
    }
    set.shards_.push_back(std::move(reader).value());
  }
  // The shards of one build share one field list; checking a filter once
  // per distinct list keeps the per-query check independent of shard count.
  for (const auto& shard : set.shards_) {
    const FieldIndex& fields = shard->fields();
    auto same = [&](const ShardFields& list) { return same_fields(*list.fields, fields); };
    if (std::none_of(set.field_lists_.begin(), set.field_lists_.end(), same)) {
      set.field_lists_.push_back(ShardFields{shard->path(), &fields});
    }
  }
  return set;
}

Status ShardSet::check_filter(const Filter& filter) const {
  if (field_lists_.empty()) return Status::Ok();
  return vs::check_filter(filter, field_lists_);
}

std::vector<std::string_view> ShardSet::common_fields() const {
  std::vector<std::string_view> names;
  if (field_lists_.empty()) return names;
  const FieldIndex& first = *field_lists_.front().fields;
  for (size_t i = 0; i < first.field_count(); ++i) {
    const std::string_view name = first.name(i);
    const bool everywhere =
        std::all_of(field_lists_.begin() + 1, field_lists_.end(),
                    [&](const ShardFields& list) { return list.fields->find(name) >= 0; });
    if (everywhere) names.push_back(name);
  }
  return names;
}

const SearchScratch::EvaluatedFilter& ShardSet::evaluate(size_t index, const Filter& filter,
                                                         SearchScratch& scratch) const {
  const ShardReader& shard = *shards_[index];
  if (scratch.evaluated.size() <= index) scratch.evaluated.resize(index + 1);
  SearchScratch::EvaluatedFilter& entry = scratch.evaluated[index];
  const uint64_t checksum = shard.header().header_checksum;
  if (entry.shard == &shard && entry.header_checksum == checksum && entry.filter == filter) return entry;
  evaluate_filter(filter, shard.fields(), shard.count(), scratch.filter, entry.allowed);
  entry.shard = &shard;
  entry.header_checksum = checksum;
  entry.filter = filter;
  entry.allowed_count = entry.allowed.count();
  return entry;
}

void ShardSet::search_shard(size_t index, std::span<const float> query, const SearchParams& params,
                            SearchScratch& scratch, std::vector<Hit>& out) const {
  const ShardReader& shard = *shards_[index];
  scratch.plan = FilterPlan{.kind = FilterPlan::Kind::kEmpty, .count = shard.count()};
  if (shard.count() == 0 || params.k == 0) return;
  if (params.filter != nullptr && !params.filter->empty()) {
    const SearchScratch::EvaluatedFilter& allowed = evaluate(index, *params.filter, scratch);
    scratch.plan = choose_filter_plan(allowed.allowed_count, shard.count(), params.k, params.ef);
    if (params.exact && scratch.plan.kind == FilterPlan::Kind::kGraph) scratch.plan.kind = FilterPlan::Kind::kExact;
    filtered_search(shard.graph(), query, params.k, allowed.allowed, scratch.plan, scratch.context,
                    scratch.neighbors);
  } else if (params.exact) {
    exact_search(shard.graph(), query, params.k, scratch.context, scratch.neighbors);
  } else {
    hnsw_search(shard.graph(), query, params.k, params.ef, scratch.context, scratch.neighbors);
  }
  for (const Neighbor& neighbor : scratch.neighbors) {
    float score = score_from_distance(metric_, neighbor.distance);
    // A NaN (vectors so large their dot product overflows both ways) would
    // break the merge's ordering; rank it last instead.
    if (std::isnan(score)) score = std::numeric_limits<float>::lowest();
    out.push_back(Hit{shard.id(neighbor.node), score, params.with_meta ? shard.meta(neighbor.node) : ""});
  }
}

void ShardSet::search(std::span<const float> query, const SearchParams& params, SearchScratch& scratch,
                      std::vector<Hit>& out) const {
  out.clear();
  for (size_t i = 0; i < shards_.size(); ++i) search_shard(i, query, params, scratch, out);
  merge_top_k(out, params.k);
}

}  // namespace vs
