#include "query/query.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <span>

#include "query/filter_eval.h"
#include "simd/distance.h"

namespace vs {

namespace od = simdjson::ondemand;

namespace {

// simdjson's text, minus its final period (our messages end without one).
std::string describe(simdjson::error_code error) {
  std::string text = simdjson::error_message(error);
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

// Reads a JSON integer in [1, max] into `out`; otherwise a reason naming `field`.
Status read_positive(od::value& value, std::string_view field, uint32_t max, uint32_t& out) {
  std::string reason = "'";
  reason.append(field).append("' must be ");
  int64_t number = 0;
  if (value.get_int64().get(number) != simdjson::SUCCESS) return Status::BadData(reason + "a positive integer");
  if (number <= 0) return Status::BadData(reason + "a positive integer, got " + std::to_string(number));
  if (number > max) {
    return Status::BadData(reason + "at most " + std::to_string(max) + ", got " + std::to_string(number));
  }
  out = static_cast<uint32_t>(number);
  return Status::Ok();
}

// A non-empty string id as is; an integer id as its decimal text (as vs-ingest
// does for documents). Answers are matched to queries by id, so "" is refused.
Status read_id(od::value& value, std::string& out) {
  od::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) return Status::BadData("'id' is not valid JSON");
  if (type == od::json_type::string) {
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) return Status::BadData("'id' is not a valid string");
    if (text.empty()) return Status::BadData("'id' is an empty string");
    out.assign(text);
    return Status::Ok();
  }
  if (type == od::json_type::number) {
    char digits[24];
    int64_t signed_id = 0;
    uint64_t unsigned_id = 0;
    std::to_chars_result end{};
    if (value.get_int64().get(signed_id) == simdjson::SUCCESS) {
      end = std::to_chars(digits, digits + sizeof digits, signed_id);
    } else if (value.get_uint64().get(unsigned_id) == simdjson::SUCCESS) {
      end = std::to_chars(digits, digits + sizeof digits, unsigned_id);
    } else {
      return Status::BadData("'id' must be a string or an integer");
    }
    out.assign(digits, end.ptr);
    return Status::Ok();
  }
  return Status::BadData("'id' must be a string or an integer");
}

// Reads an array of finite numbers; counts them all so a wrong length is reported exactly.
Status read_vector(od::value& value, uint32_t dim, std::vector<float>& out) {
  od::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) return Status::BadData("'vector' must be an array of numbers");
  out.clear();
  size_t index = 0;
  for (auto element : array) {
    double number = 0;
    if (element.get_double().get(number) != simdjson::SUCCESS) {
      return Status::BadData("'vector'[" + std::to_string(index) + "] is not a number");
    }
    auto narrowed = static_cast<float>(number);
    if (!std::isfinite(narrowed)) {
      return Status::BadData("'vector'[" + std::to_string(index) + "] is not a finite 32-bit float");
    }
    out.push_back(narrowed);
    ++index;
  }
  if (out.size() != dim) {
    return Status::BadData("'vector' has " + std::to_string(out.size()) + " numbers, expected " + std::to_string(dim));
  }
  return Status::Ok();
}

// "include": true (every field) or an array of field names.
Status read_include(od::value& value, Query& out) {
  bool all = false;
  if (value.get_bool().get(all) == simdjson::SUCCESS) {
    out.include = all ? Query::Include::kAll : Query::Include::kNone;
    return Status::Ok();
  }
  od::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    return Status::BadData("'include' must be true, false or an array of field names");
  }
  out.include = Query::Include::kFields;
  for (auto element : array) {
    std::string_view name;
    if (element.get_string().get(name) != simdjson::SUCCESS) {
      return Status::BadData("'include' must hold field names (strings)");
    }
    out.include_fields.emplace_back(name);
  }
  return Status::Ok();
}

// The run's filter AND the query's own.
void combine_filters(const Filter& run_filter, Filter& query_filter) {
  if (run_filter.empty()) return;
  if (query_filter.empty()) {
    query_filter = run_filter;
    return;
  }
  FilterNode both;
  both.children.push_back(run_filter.root);
  both.children.push_back(std::move(query_filter.root));
  query_filter.root = std::move(both);
}

Status finish_vector(Metric metric, std::vector<float>& vector, std::string_view what) {
  if (metric != Metric::kCosine) return Status::Ok();
  if (!simd::normalize(std::span<float>(vector))) {
    return Status::BadData(std::string(what) + " is a zero vector, which has no direction under cosine");
  }
  return Status::Ok();
}

}  // namespace

bool is_blank_line(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

Status QueryParser::parse(std::string_view line, std::string_view source, uint64_t line_number, Query& out) {
  // simdjson reads up to SIMDJSON_PADDING bytes past the end; the line comes
  // from a reader's buffer we do not control, so it is copied into our own
  // padded buffer (a memcpy, negligible next to the search it feeds).
  padded_.resize(line.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(padded_.data(), line.data(), line.size());
  od::document doc;
  simdjson::error_code error =
      parser_.iterate(simdjson::padded_string_view(padded_.data(), line.size(), padded_.size())).get(doc);
  Status status = error != simdjson::SUCCESS ? Status::BadData("invalid JSON: " + describe(error))
                                             : parse_fields(doc, line_number, out);
  if (status.ok()) return status;
  return std::move(status).with_context(std::string(source) + ":" + std::to_string(line_number));
}

Status QueryParser::parse_fields(od::document& doc, uint64_t line_number, Query& out) {
  od::object object;
  simdjson::error_code error = doc.get_object().get(object);
  if (error == simdjson::INCORRECT_TYPE) return Status::BadData("a query must be a JSON object");
  if (error != simdjson::SUCCESS) return Status::BadData("invalid JSON: " + describe(error));

  bool have_id = false;
  bool have_vector = false;
  bool have_filter = false;
  bool have_include = false;
  out.k = 0;
  out.ef = 0;
  out.filter = Filter{};
  out.include = Query::Include::kNone;
  out.include_fields.clear();
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return Status::BadData("invalid JSON: bad field name");
    od::value value;
    if ((error = field.value().get(value)) != simdjson::SUCCESS) {
      return Status::BadData("invalid JSON: " + describe(error));
    }
    if (key == "id") {
      VS_RETURN_IF_ERROR(read_id(value, out.id));
      have_id = true;
    } else if (key == "vector") {
      VS_RETURN_IF_ERROR(read_vector(value, dim_, out.vector));
      have_vector = true;
    } else if (key == "k") {
      VS_RETURN_IF_ERROR(read_positive(value, "k", kMaxK, out.k));
    } else if (key == "ef") {
      VS_RETURN_IF_ERROR(read_positive(value, "ef", kMaxEf, out.ef));
    } else if (key == "filter" || key == "filters") {
      if (have_filter) return Status::BadData("more than one 'filter'");
      VS_RETURN_IF_ERROR(parse_filter(value, out.filter));
      have_filter = true;
    } else if (key == "include") {
      VS_RETURN_IF_ERROR(read_include(value, out));
      have_include = true;
    } else {
      return Status::BadData("unknown field '" + std::string(key) + "'");
    }
  }
  // On-Demand validates lazily: the loop above ends cleanly at the object's
  // close, so anything after it (a second object, garbage) is found here.
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) {
    return Status::BadData("unexpected text after the query object");
  }
  if (!have_vector) return Status::BadData("missing 'vector'");
  if (!have_id) out.id = std::to_string(line_number);
  if (!have_include) out.include = default_include_;
  combine_filters(default_filter_, out.filter);
  if (!field_lists_.empty() && have_filter) VS_RETURN_IF_ERROR(check_filter(out.filter, field_lists_));
  return finish_vector(metric_, out.vector, "'vector'");
}

Status parse_vector_text(std::string_view text, uint32_t dim, Metric metric, Query& out) {
  out.id = "vector";
  out.k = 0;
  out.ef = 0;
  out.vector.clear();
  const char* cursor = text.data();
  const char* end = text.data() + text.size();
  while (cursor <= end) {
    while (cursor < end && (*cursor == ' ' || *cursor == '\t')) ++cursor;
    float number = 0;
    auto [next, error] = std::from_chars(cursor, end, number);
    if (error != std::errc() || !std::isfinite(number)) {
      return Status::Usage("--vector: element " + std::to_string(out.vector.size() + 1) +
                           " is not a finite number");
    }
    out.vector.push_back(number);
    cursor = next;
    while (cursor < end && (*cursor == ' ' || *cursor == '\t')) ++cursor;
    if (cursor == end) break;
    if (*cursor != ',') {
      return Status::Usage("--vector: expected ',' after element " + std::to_string(out.vector.size()));
    }
    ++cursor;
  }
  if (out.vector.size() != dim) {
    return Status::Usage("--vector has " + std::to_string(out.vector.size()) + " numbers, expected " +
                         std::to_string(dim));
  }
  Status status = finish_vector(metric, out.vector, "--vector");
  if (!status.ok()) return Status::Usage(status.message());
  return Status::Ok();
}

}  // namespace vs
