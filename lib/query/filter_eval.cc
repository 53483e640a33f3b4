#include "query/filter_eval.h"

#include <algorithm>

namespace vs {

namespace {

std::string field_list(const FieldIndex& fields) {
  std::string list;
  for (size_t i = 0; i < fields.field_count(); ++i) {
    if (i > 0) list += ", ";
    list += fields.name(i);
  }
  return list;
}

Status check_node(const FilterNode& node, const FieldIndex& fields) {
  for (const FilterNode& child : node.children) VS_RETURN_IF_ERROR(check_node(child, fields));
  if (node.kind != FilterNode::Kind::kTerms && node.kind != FilterNode::Kind::kRange) return Status::Ok();
  const ptrdiff_t field = fields.find(node.field);
  if (field < 0) {
    if (fields.field_count() == 0) {
      return Status::BadData("field '" + node.field +
                             "' is not indexed (this index has no field indexes; rebuild it with vs-build "
                             "--index-fields)");
    }
    return Status::BadData("field '" + node.field + "' is not indexed (indexed: " + field_list(fields) + ")");
  }
  const uint32_t kinds = fields.kinds(static_cast<size_t>(field));
  const bool has_numbers = (kinds & format::kFieldHasNumbers) != 0;
  const bool has_strings = (kinds & format::kFieldHasStrings) != 0;
  if (node.kind == FilterNode::Kind::kRange && !has_numbers) {
    return Status::BadData("field '" + node.field + "' holds strings, so a range cannot apply");
  }
  for (const FilterValue& value : node.terms) {
    if (value.is_number && !has_numbers) {
      return Status::BadData("field '" + node.field + "' holds strings, not numbers");
    }
    if (!value.is_number && !has_strings) {
      return Status::BadData("field '" + node.field + "' holds numbers, not strings");
    }
  }
  return Status::Ok();
}

void insert_all(std::span<const uint32_t> nodes, AllowedSet& out) {
  for (uint32_t node : nodes) out.insert(node);  // insert() ignores ids past the shard
}

// The nodes whose numbers fall between the iterators [first, last) of the value array.
void insert_numbers(const FieldIndex::NumberRun& run, const double* first, const double* last, AllowedSet& out) {
  const size_t begin = static_cast<size_t>(first - run.values.data());
  const size_t end = static_cast<size_t>(last - run.values.data());
  for (size_t i = begin; i < end; ++i) out.insert(run.nodes[i]);
}

void evaluate_terms(const FilterNode& node, const FieldIndex& fields, size_t field, AllowedSet& out) {
  const FieldIndex::NumberRun run = fields.numbers(field);
  for (const FilterValue& value : node.terms) {
    if (!value.is_number) {
      insert_all(fields.postings(field, value.text), out);
      continue;
    }
    auto [first, last] = std::equal_range(run.values.data(), run.values.data() + run.values.size(), value.number);
    insert_numbers(run, first, last, out);
  }
}

void evaluate_range(const FilterNode& node, const FieldIndex& fields, size_t field, AllowedSet& out) {
  const FieldIndex::NumberRun run = fields.numbers(field);
  const double* begin = run.values.data();
  const double* end = begin + run.values.size();
  const double* first = begin;
  const double* last = end;
  if (node.has_lower) {
    first = node.lower_inclusive ? std::lower_bound(begin, end, node.lower) : std::upper_bound(begin, end, node.lower);
  }
  if (node.has_upper) {
    last = node.upper_inclusive ? std::upper_bound(begin, end, node.upper) : std::lower_bound(begin, end, node.upper);
  }
  if (first < last) insert_numbers(run, first, last, out);
}

void evaluate_node(const FilterNode& node, const FieldIndex& fields, uint32_t count, size_t depth,
                   FilterScratch& scratch, AllowedSet& out) {
  switch (node.kind) {
    case FilterNode::Kind::kAnd:
    case FilterNode::Kind::kOr: {
      const bool all = node.kind == FilterNode::Kind::kAnd;
      out.reset(count, all);
      // Children are evaluated into this depth's temporary, which deeper
      // levels never touch (the stack was sized for the whole tree up front).
      AllowedSet& part = scratch.stack[depth];
      for (const FilterNode& child : node.children) {
        evaluate_node(child, fields, count, depth + 1, scratch, part);
        if (all) {
          out.intersect(part);
        } else {
          out.unite(part);
        }
      }
      return;
    }
    case FilterNode::Kind::kNot:
      evaluate_node(node.children.front(), fields, count, depth, scratch, out);
      out.complement();
      return;
    case FilterNode::Kind::kTerms:
    case FilterNode::Kind::kRange: {
      out.reset(count, false);
      const ptrdiff_t field = fields.find(node.field);
      if (field < 0) return;
      if (node.kind == FilterNode::Kind::kTerms) {
        evaluate_terms(node, fields, static_cast<size_t>(field), out);
      } else {
        evaluate_range(node, fields, static_cast<size_t>(field), out);
      }
      return;
    }
  }
}

size_t tree_depth(const FilterNode& node) {
  size_t deepest = 0;
  for (const FilterNode& child : node.children) deepest = std::max(deepest, tree_depth(child));
  return deepest + 1;
}

}  // namespace

Status check_filter(const Filter& filter, const FieldIndex& fields) {
  return check_node(filter.root, fields).with_context("filter");
}

Status check_filter(const Filter& filter, std::span<const ShardFields> field_lists) {
  if (field_lists.size() == 1) return check_filter(filter, *field_lists.front().fields);
  for (const ShardFields& list : field_lists) {
    Status status = check_node(filter.root, *list.fields);
    if (status.ok()) continue;
    return std::move(status).with_context("shard '" + std::string(list.shard) + "'").with_context("filter");
  }
  return Status::Ok();
}

void evaluate_filter(const Filter& filter, const FieldIndex& fields, uint32_t count, FilterScratch& scratch,
                     AllowedSet& out) {
  const size_t depth = tree_depth(filter.root);
  if (scratch.stack.size() < depth) scratch.stack.resize(depth);
  evaluate_node(filter.root, fields, count, 0, scratch, out);
}

}  // namespace vs
