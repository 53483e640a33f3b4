#include "query/filter.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "util/json_text.h"

namespace vs {

namespace od = simdjson::ondemand;

namespace {

// Nesting deeper than this is not a filter anyone writes; the cap keeps a
// hostile body from exhausting the stack.
constexpr int kMaxDepth = 32;

Status bad(std::string reason) { return Status::BadData("filter: " + std::move(reason)); }

std::string quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

Status read_scalar(od::value& value, std::string_view field, FilterValue& out) {
  od::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) return bad(quoted(field) + ": invalid JSON");
  if (type == od::json_type::string) {
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) return bad(quoted(field) + ": invalid string");
    out.is_number = false;
    out.text.assign(text);
    return Status::Ok();
  }
  if (type == od::json_type::number) {
    double number = 0;
    if (value.get_double().get(number) != simdjson::SUCCESS || !std::isfinite(number)) {
      return bad(quoted(field) + ": invalid number");
    }
    out.is_number = true;
    out.number = number;
    return Status::Ok();
  }
  if (type == od::json_type::array) {
    return bad(quoted(field) + ": a list of values needs {\"in\": [...]}");
  }
  return bad(quoted(field) + ": values must be strings or numbers");
}

Status read_bound(od::value& value, std::string_view field, std::string_view op, double& out) {
  double number = 0;
  if (value.get_double().get(number) != simdjson::SUCCESS || !std::isfinite(number)) {
    return bad(quoted(field) + ": '" + std::string(op) + "' needs a number");
  }
  out = number;
  return Status::Ok();
}

Status parse_object(od::object object, int depth, FilterNode& out);

// A nested filter object ("not", each element of "and"/"or").
Status parse_nested(od::value& value, std::string_view op, int depth, FilterNode& out) {
  od::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) {
    return bad("'" + std::string(op) + "' needs a filter object");
  }
  VS_RETURN_IF_ERROR(parse_object(object, depth + 1, out));
  if (out.children.empty()) return bad("'" + std::string(op) + "' has an empty filter object");
  return Status::Ok();
}

Status parse_list(od::value& value, std::string_view op, int depth, FilterNode& out) {
  od::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    return bad("'" + std::string(op) + "' needs an array of filter objects");
  }
  out.kind = op == "or" ? FilterNode::Kind::kOr : FilterNode::Kind::kAnd;
  for (auto element : array) {
    od::value child_value;
    if (element.get(child_value) != simdjson::SUCCESS) return bad("invalid JSON in '" + std::string(op) + "'");
    FilterNode child;
    VS_RETURN_IF_ERROR(parse_nested(child_value, op, depth, child));
    out.children.push_back(std::move(child));
  }
  if (out.children.empty()) return bad("'" + std::string(op) + "' has an empty array");
  return Status::Ok();
}

// {"op": operand, ...} for one field: eq/in gather into a terms node, the
// bounds into a range node; both present means both must hold.
Status parse_operators(od::object object, std::string_view field, FilterNode& parent) {
  FilterNode terms{.kind = FilterNode::Kind::kTerms, .field = std::string(field)};
  FilterNode range{.kind = FilterNode::Kind::kRange, .field = std::string(field)};
  bool have_terms = false;
  for (auto member : object) {
    std::string_view op;
    od::value value;
    if (member.unescaped_key().get(op) != simdjson::SUCCESS || member.value().get(value) != simdjson::SUCCESS) {
      return bad(quoted(field) + ": invalid JSON");
    }
    if (op == "eq") {
      if (have_terms) return bad(quoted(field) + ": 'eq' and 'in' cannot be combined");
      terms.terms.emplace_back();
      VS_RETURN_IF_ERROR(read_scalar(value, field, terms.terms.back()));
      have_terms = true;
    } else if (op == "in") {
      if (have_terms) return bad(quoted(field) + ": 'eq' and 'in' cannot be combined");
      od::array array;
      if (value.get_array().get(array) != simdjson::SUCCESS) return bad(quoted(field) + ": 'in' needs an array");
      for (auto element : array) {
        od::value item;
        if (element.get(item) != simdjson::SUCCESS) return bad(quoted(field) + ": invalid JSON in 'in'");
        terms.terms.emplace_back();
        VS_RETURN_IF_ERROR(read_scalar(item, field, terms.terms.back()));
      }
      if (terms.terms.empty()) return bad(quoted(field) + ": 'in' has an empty array");
      have_terms = true;
    } else if (op == "gt" || op == "gte") {
      if (range.has_lower) return bad(quoted(field) + ": more than one lower bound");
      VS_RETURN_IF_ERROR(read_bound(value, field, op, range.lower));
      range.has_lower = true;
      range.lower_inclusive = op == "gte";
    } else if (op == "lt" || op == "lte") {
      if (range.has_upper) return bad(quoted(field) + ": more than one upper bound");
      VS_RETURN_IF_ERROR(read_bound(value, field, op, range.upper));
      range.has_upper = true;
      range.upper_inclusive = op == "lte";
    } else {
      return bad(quoted(field) + ": unknown operator '" + std::string(op) +
                 "' (expected eq, in, gt, gte, lt or lte)");
    }
  }
  const bool have_range = range.has_lower || range.has_upper;
  if (!have_terms && !have_range) return bad(quoted(field) + ": empty condition");
  if (have_terms) parent.children.push_back(std::move(terms));
  if (have_range) parent.children.push_back(std::move(range));
  return Status::Ok();
}

Status parse_condition(od::value& value, std::string_view field, FilterNode& parent) {
  if (field.empty()) return bad("empty field name");
  od::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) return bad(quoted(field) + ": invalid JSON");
  if (type == od::json_type::object) {
    od::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) return bad(quoted(field) + ": invalid JSON");
    return parse_operators(object, field, parent);
  }
  FilterNode terms{.kind = FilterNode::Kind::kTerms, .field = std::string(field)};
  terms.terms.emplace_back();
  VS_RETURN_IF_ERROR(read_scalar(value, field, terms.terms.back()));
  parent.children.push_back(std::move(terms));
  return Status::Ok();
}

// Fills `out` as an AND of the object's conditions.
Status parse_object(od::object object, int depth, FilterNode& out) {
  if (depth > kMaxDepth) return bad("nested more than " + std::to_string(kMaxDepth) + " levels deep");
  out.kind = FilterNode::Kind::kAnd;
  for (auto member : object) {
    std::string_view key;
    od::value value;
    if (member.unescaped_key().get(key) != simdjson::SUCCESS || member.value().get(value) != simdjson::SUCCESS) {
      return bad("invalid JSON");
    }
    if (key == "not") {
      FilterNode inner;
      VS_RETURN_IF_ERROR(parse_nested(value, key, depth, inner));
      FilterNode negation{.kind = FilterNode::Kind::kNot};
      negation.children.push_back(std::move(inner));
      out.children.push_back(std::move(negation));
    } else if (key == "and" || key == "or") {
      FilterNode list;
      VS_RETURN_IF_ERROR(parse_list(value, key, depth, list));
      out.children.push_back(std::move(list));
    } else {
      VS_RETURN_IF_ERROR(parse_condition(value, key, out));
    }
  }
  return Status::Ok();
}

void append_number(double number, std::string& out) {
  char digits[32];
  auto end = std::to_chars(digits, digits + sizeof digits, number).ptr;
  out.append(digits, end);
}

void append_value(const FilterValue& value, std::string& out) {
  if (value.is_number) {
    append_number(value.number, out);
  } else {
    append_json_string(value.text, out);
  }
}

void append_node(const FilterNode& node, std::string& out) {
  switch (node.kind) {
    case FilterNode::Kind::kAnd:
    case FilterNode::Kind::kOr: {
      out += node.kind == FilterNode::Kind::kAnd ? "{\"and\":[" : "{\"or\":[";
      for (size_t i = 0; i < node.children.size(); ++i) {
        if (i > 0) out += ',';
        append_node(node.children[i], out);
      }
      out += "]}";
      return;
    }
    case FilterNode::Kind::kNot:
      out += "{\"not\":";
      append_node(node.children.front(), out);
      out += '}';
      return;
    case FilterNode::Kind::kTerms:
      out += '{';
      append_json_string(node.field, out);
      out += ":{\"in\":[";
      for (size_t i = 0; i < node.terms.size(); ++i) {
        if (i > 0) out += ',';
        append_value(node.terms[i], out);
      }
      out += "]}}";
      return;
    case FilterNode::Kind::kRange:
      out += '{';
      append_json_string(node.field, out);
      out += ":{";
      if (node.has_lower) {
        out += node.lower_inclusive ? "\"gte\":" : "\"gt\":";
        append_number(node.lower, out);
      }
      if (node.has_upper) {
        if (node.has_lower) out += ',';
        out += node.upper_inclusive ? "\"lte\":" : "\"lt\":";
        append_number(node.upper, out);
      }
      out += "}}";
      return;
  }
}

// Flattens nested ANDs into their AND parent (and ORs into OR) and replaces
// a one-child AND or OR by its child, so equal conditions have one form
// however they were written, and the canonical text parses to itself.
void normalize(FilterNode& node) {
  for (FilterNode& child : node.children) normalize(child);
  if (node.kind != FilterNode::Kind::kAnd && node.kind != FilterNode::Kind::kOr) return;
  std::vector<FilterNode> flat;
  for (FilterNode& child : node.children) {
    if (child.kind != node.kind) {
      flat.push_back(std::move(child));
      continue;
    }
    for (FilterNode& grandchild : child.children) flat.push_back(std::move(grandchild));
  }
  node.children = std::move(flat);
  if (node.children.size() == 1) {
    FilterNode only = std::move(node.children.front());
    node = std::move(only);
  }
}

// True when the scalar document is one valid JSON value: a string, a number,
// true, false or null.
bool valid_scalar(od::document& doc) {
  od::json_type type;
  if (doc.type().get(type) != simdjson::SUCCESS) return false;
  switch (type) {
    case od::json_type::string: {
      std::string_view text;
      return doc.get_string().get(text) == simdjson::SUCCESS;
    }
    case od::json_type::number: {
      double number = 0;
      return doc.get_double().get(number) == simdjson::SUCCESS;
    }
    case od::json_type::boolean: {
      bool flag = false;
      return doc.get_bool().get(flag) == simdjson::SUCCESS;
    }
    case od::json_type::null: {
      bool null = false;
      return doc.is_null().get(null) == simdjson::SUCCESS && null;
    }
    default:
      return false;
  }
}

}  // namespace

Status parse_filter(od::value& value, Filter& out) {
  out.root = FilterNode{};
  od::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) return bad("must be a JSON object");
  VS_RETURN_IF_ERROR(parse_object(object, 0, out.root));
  normalize(out.root);
  return Status::Ok();
}

Expected<Filter> parse_filter(std::string_view text) {
  simdjson::padded_string padded(text);
  od::parser parser;
  od::document doc;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) return bad("invalid JSON");
  // A scalar document cannot be read as a value; a valid one (5, null) is
  // the wrong kind of JSON, not invalid JSON.
  bool scalar = false;
  if (doc.is_scalar().get(scalar) != simdjson::SUCCESS) return bad("invalid JSON");
  if (scalar) return valid_scalar(doc) ? bad("must be a JSON object") : bad("invalid JSON");
  od::value value;
  if (doc.get_value().get(value) != simdjson::SUCCESS) return bad("invalid JSON");
  Filter filter;
  VS_RETURN_IF_ERROR(parse_filter(value, filter));
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) return bad("unexpected text after the object");
  return filter;
}

void append_filter_json(const Filter& filter, std::string& out) {
  if (filter.empty()) {
    out += "{}";
    return;
  }
  append_node(filter.root, out);
}

}  // namespace vs
