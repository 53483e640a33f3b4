// Evaluating a Filter against one shard's field indexes.
//
// check_filter() is the per-query validation that makes a mistake an error
// instead of an empty result: every field the filter names must be indexed,
// and hold the kind of value it is compared with (a number compared with a
// field of strings, a range over a field with no numbers). It is checked
// against the build-wide field list a shard carries, so it does not depend on
// which shard the documents landed in; shards of different builds (vs-query
// idx1 idx2) may carry different lists, and the filter must fit each.
//
// evaluate_filter() turns the filter into the shard's AllowedSet. A field this
// shard does not index matches nothing (check_filter first, so that this
// never passes silently). Not thread-safe per FilterScratch: one per thread.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "format/field_index.h"
#include "index/allowed_set.h"
#include "query/filter.h"

namespace vs {

// BadData "filter: reason", naming the field.
Status check_filter(const Filter& filter, const FieldIndex& fields);

// One field list of a set of shards, and the shard it was read from.
struct ShardFields {
  std::string_view shard;  // the shard's path, for messages
  const FieldIndex* fields = nullptr;
};

// check_filter against each of `field_lists` (the distinct lists of the
// shards a filter will search; not empty). BadData as above; with more than
// one list the reason also names the shard that does not fit:
// "filter: shard 'PATH': field 'x' is not indexed (...)".
Status check_filter(const Filter& filter, std::span<const ShardFields> field_lists);

// Per-thread temporaries of evaluate_filter, reused across queries.
struct FilterScratch {
  std::vector<AllowedSet> stack;
};

// Fills `out` (reset to `count` nodes) with the nodes that match `filter`.
void evaluate_filter(const Filter& filter, const FieldIndex& fields, uint32_t count, FilterScratch& scratch,
                     AllowedSet& out);

}  // namespace vs
