// Filter: a metadata condition on documents, and its JSON syntax (docs/FORMATS.md, "Filters").
//
//   {"category": "news"}                       equality (a string or a number)
//   {"category": {"in": ["news", "sport"]}}    any of the values
//   {"year": {"gte": 2020, "lt": 2024}}        a numeric range (gt, gte, lt, lte; eq, in too)
//   {"not": {...}}                             the complement
//   {"or": [{...}, {...}]}, {"and": [...]}     explicit combinations
// Several keys in one object mean AND. A document whose field holds an array
// matches when any element matches; a document without the field matches no
// condition on it (so {"not": {"f": "x"}} includes documents without f).
// "not", "and" and "or" are operators, so fields of those names cannot be
// filtered on (vs-build never indexes them: format/field_index_writer.h).
// Values are strings or numbers (compared as doubles); null, booleans, nested
// objects where a value belongs, an empty "in" or object, and unknown
// operators are errors naming the problem.
//
// A Filter is a plain value: parse once, evaluate against any number of shards
// (query/filter_eval.h). Thread-safe for concurrent readers.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vs {

struct FilterValue {
  bool is_number = false;
  double number = 0;
  std::string text;
  bool operator==(const FilterValue&) const = default;
};

struct FilterNode {
  enum class Kind { kAnd, kOr, kNot, kTerms, kRange };
  Kind kind = Kind::kAnd;
  std::string field;               // kTerms, kRange
  std::vector<FilterValue> terms;  // kTerms: the document's value equals any of these
  double lower = 0, upper = 0;     // kRange bounds, each used only when has_*
  bool has_lower = false, lower_inclusive = false;
  bool has_upper = false, upper_inclusive = false;
  std::vector<FilterNode> children;  // kAnd, kOr (any number), kNot (exactly one)
  bool operator==(const FilterNode&) const = default;
};

struct Filter {
  FilterNode root;  // an empty kAnd matches everything
  bool empty() const { return root.kind == FilterNode::Kind::kAnd && root.children.empty(); }
  bool operator==(const Filter&) const = default;
};

// Parses a filter object from a query being read with simdjson On-Demand.
// BadData "filter: reason" (the caller adds where the query came from).
Status parse_filter(simdjson::ondemand::value& value, Filter& out);

// Parses filter JSON text (the --filter flag, a test). BadData as above.
Expected<Filter> parse_filter(std::string_view text);

// Appends the filter as canonical JSON (what remote shards are sent, what
// --explain prints). parse_filter(text) of the result gives an equal filter.
void append_filter_json(const Filter& filter, std::string& out);

}  // namespace vs
