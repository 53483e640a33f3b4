// Evaluating a Filter against one shard's field indexes.
//
// check_filter() is the per-query validation that makes a mistake an error
// instead of an empty result: every field the filter names must be indexed,
// and hold the kind of value it is compared with (a number compared with a
// field of strings, a range over a field with no numbers). It is checked
// against the build-wide field list a shard carries, so it does not depend on
// which shard the documents landed in.
//
// evaluate_filter() turns the filter into the shard's AllowedSet. A field this
// shard does not index matches nothing. Not thread-safe per FilterScratch:
// one per thread.
#pragma once

#include <vector>

#include "core/status.h"
#include "format/field_index.h"
#include "index/allowed_set.h"
#include "query/filter.h"

namespace vs {

// BadData "filter: reason", naming the field.
Status check_filter(const Filter& filter, const FieldIndex& fields);

// Per-thread temporaries of evaluate_filter, reused across queries.
struct FilterScratch {
  std::vector<AllowedSet> stack;
};

// Fills `out` (reset to `count` nodes) with the nodes that match `filter`.
void evaluate_filter(const Filter& filter, const FieldIndex& fields, uint32_t count, FilterScratch& scratch,
                     AllowedSet& out);

}  // namespace vs
