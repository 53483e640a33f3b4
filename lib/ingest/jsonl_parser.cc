#include "ingest/jsonl_parser.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <limits>

#include "simd/distance.h"

namespace vs {
namespace {

namespace od = simdjson::ondemand;

// A short, lowercase reason for a simdjson error on a line the user wrote.
std::string json_error(simdjson::error_code error) {
  using simdjson::error_code;
  switch (error) {
    case error_code::TAPE_ERROR:
    case error_code::INCOMPLETE_ARRAY_OR_OBJECT:
      return "not valid JSON: bad structure (a missing or extra comma, colon, brace or bracket)";
    case error_code::UNCLOSED_STRING:
      return "not valid JSON: unclosed string";
    case error_code::UTF8_ERROR:
      return "not valid UTF-8";
    case error_code::UNESCAPED_CHARS:
      return "not valid JSON: unescaped control character in a string";
    case error_code::STRING_ERROR:
      return "not valid JSON: bad escape in a string";
    case error_code::T_ATOM_ERROR:
    case error_code::F_ATOM_ERROR:
    case error_code::N_ATOM_ERROR:
      return "not valid JSON: bad literal (expected true, false or null)";
    case error_code::NUMBER_ERROR:
      return "not valid JSON: bad number";
    case error_code::DEPTH_ERROR:
      return "not valid JSON: nested too deeply";
    default:
      break;
  }
  std::string message = simdjson::error_message(error);
  if (!message.empty() && message.back() == '.') message.pop_back();
  if (!message.empty()) message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
  return "not valid JSON: " + message;
}

const char* type_name(od::json_type type) {
  switch (type) {
    case od::json_type::array:
      return "an array";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a boolean";
    case od::json_type::null:
      return "null";
  }
  return "an unknown value";
}

std::string_view trim_right(std::string_view text) {
  while (!text.empty() &&
         (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

size_t leading_blanks(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  return i;
}

std::string field_name(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out.push_back('\'');
  out.append(name);
  out.push_back('\'');
  return out;
}

bool is_big_integer(std::string_view token) {
  if (!token.empty() && token.front() == '-') token.remove_prefix(1);
  if (token.empty() || token.front() == '0') return false;
  for (char c : token) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

struct JsonlParser::Impl {
  od::parser parser;
  // On-Demand skips values it is not asked about without validating them, so
  // object and array metadata is checked with the DOM parser before we keep it
  // verbatim; scalars are checked by reading them.
  simdjson::dom::parser dom;
  // Set when a problem names a vector element: more useful than the generic
  // "not valid JSON" for NaN, Infinity or 1e999, even though those are not JSON.
  bool precise_problem = false;

  Impl() {
#ifdef SIMDJSON_THREADS_ENABLED
    // One chunk is one batch, and oneTBB already runs a parser per core: a
    // look-ahead thread per parser would only add threads.
    parser.threaded = false;
#endif
  }

  std::string parse_id(od::value& value, const IngestOptions& options, Record& record);
  std::string parse_vector(od::value& value, const IngestOptions& options, Record& record);
  std::string append_meta(std::string_view key, od::value& value, Record& record);
  template <typename Doc>
  std::string parse_document(Doc& doc, const IngestOptions& options, Record& record);
  std::string finish_record(const IngestOptions& options, Record& record);
};

std::string JsonlParser::Impl::parse_id(od::value& value, const IngestOptions& options, Record& record) {
  od::json_type type;
  if (auto error = value.type().get(type)) return json_error(error);
  if (type == od::json_type::string) {
    std::string_view id;
    if (auto error = value.get_string().get(id)) return json_error(error);
    if (id.empty()) return field_name(options.id_field) + " is an empty string";
    record.id.assign(id);
    return {};
  }
  if (type != od::json_type::number) {
    return field_name(options.id_field) + " must be a string or an integer, got " + type_name(type);
  }
  char digits[24];
  std::to_chars_result written{};
  int64_t signed_id;
  uint64_t unsigned_id;
  if (value.get_int64().get(signed_id) == simdjson::SUCCESS) {
    written = std::to_chars(digits, digits + sizeof(digits), signed_id);
  } else if (value.get_uint64().get(unsigned_id) == simdjson::SUCCESS) {
    written = std::to_chars(digits, digits + sizeof(digits), unsigned_id);
  } else {
    return field_name(options.id_field) + " must be a string or an integer, got " +
           std::string(trim_right(value.raw_json_token()));
  }
  record.id.assign(digits, written.ptr);
  return {};
}

std::string JsonlParser::Impl::parse_vector(od::value& value, const IngestOptions& options, Record& record) {
  const std::string name = field_name(options.vec_field);
  od::json_type type;
  if (auto error = value.type().get(type)) return json_error(error);
  if (type != od::json_type::array) return name + " must be an array of numbers, got " + type_name(type);
  od::array array;
  if (auto error = value.get_array().get(array)) return json_error(error);
  record.vec.clear();
  if (options.dim != 0) record.vec.reserve(options.dim);
  size_t position = 0;
  for (auto element_result : array) {
    ++position;
    od::value element;
    if (auto error = element_result.get(element)) return json_error(error);
    double number;
    if (auto error = element.get_double().get(number)) {
      od::json_type element_type;
      bool numeric =
          element.type().get(element_type) == simdjson::SUCCESS && element_type == od::json_type::number;
      // simdjson refuses 1e999 (out of range) rather than returning infinity;
      // either way it is no usable coordinate.
      precise_problem = true;
      std::string_view token = element.raw_json_token();
      if (token.starts_with("NaN") || token.starts_with("Infinity") || token.starts_with("-Infinity")) {
        return name + " element " + std::to_string(position) +
               " is not a finite number (NaN and Infinity are not JSON)";
      }
      if (numeric) return name + " element " + std::to_string(position) + " is not a finite number";
      if (error == simdjson::INCORRECT_TYPE && element.type().get(element_type) == simdjson::SUCCESS) {
        return name + " element " + std::to_string(position) + " is not a number (got " +
               type_name(element_type) + ")";
      }
      return name + " element " + std::to_string(position) + " is not a number";
    }
    if (!std::isfinite(number) || std::fabs(number) > std::numeric_limits<float>::max()) {
      precise_problem = true;
      return name + " element " + std::to_string(position) + " is not a finite 32-bit float";
    }
    record.vec.push_back(static_cast<float>(number));
  }
  return {};
}

std::string JsonlParser::Impl::append_meta(std::string_view key, od::value& value, Record& record) {
  od::json_type type;
  if (auto error = value.type().get(type)) return json_error(error);
  std::string_view raw;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto error = value.get_object().get(object)) return json_error(error);
      if (auto error = object.raw_json().get(raw)) return json_error(error);
      break;
    }
    case od::json_type::array: {
      od::array array;
      if (auto error = value.get_array().get(array)) return json_error(error);
      if (auto error = array.raw_json().get(raw)) return json_error(error);
      break;
    }
    case od::json_type::string: {
      raw = value.raw_json_token();
      std::string_view unused;
      if (auto error = value.get_string().get(unused)) return json_error(error);
      break;
    }
    case od::json_type::number: {
      raw = value.raw_json_token();
      double unused;
      auto error = value.get_double().get(unused);
      // Integers beyond 64 bits are valid JSON that simdjson will not convert;
      // keep them as written.
      if (error && !is_big_integer(trim_right(raw))) return json_error(error);
      break;
    }
    case od::json_type::boolean: {
      raw = value.raw_json_token();
      bool unused;
      if (auto error = value.get_bool().get(unused)) return json_error(error);
      break;
    }
    case od::json_type::null: {
      raw = value.raw_json_token();
      bool is_null = false;
      if (auto error = value.is_null().get(is_null)) return json_error(error);
      if (!is_null) return json_error(simdjson::N_ATOM_ERROR);
      break;
    }
  }
  raw = trim_right(raw);
  if (type == od::json_type::object || type == od::json_type::array) {
    // `raw` points into the caller's padded line, so no copy is needed.
    simdjson::dom::element unused;
    if (auto error = dom.parse(raw.data(), raw.size(), false).get(unused)) return json_error(error);
  }
  if (record.meta.size() > 1) record.meta.push_back(',');
  append_json_string(key, record.meta);
  record.meta.push_back(':');
  record.meta.append(raw);
  return {};
}

template <typename Doc>
std::string JsonlParser::Impl::parse_document(Doc& doc, const IngestOptions& options, Record& record) {
  od::json_type type;
  if (auto error = doc.type().get(type)) return json_error(error);
  if (type != od::json_type::object) return std::string("expected a JSON object, got ") + type_name(type);
  od::object object;
  if (auto error = doc.get_object().get(object)) return json_error(error);
  bool have_id = false;
  bool have_vec = false;
  record.meta.assign("{");
  for (auto field_result : object) {
    od::field field;
    if (auto error = std::move(field_result).get(field)) return json_error(error);
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return json_error(error);
    od::value& value = field.value();
    std::string problem;
    if (key == options.id_field) {
      if (have_id) return field_name(options.id_field) + " appears twice";
      have_id = true;
      problem = parse_id(value, options, record);
    } else if (key == options.vec_field) {
      if (have_vec) return field_name(options.vec_field) + " appears twice";
      have_vec = true;
      problem = parse_vector(value, options, record);
    } else {
      problem = append_meta(key, value, record);
    }
    if (!problem.empty()) return problem;
  }
  record.meta.push_back('}');
  if (!have_id) return "missing " + field_name(options.id_field);
  if (!have_vec) return "missing " + field_name(options.vec_field);
  return finish_record(options, record);
}

std::string JsonlParser::Impl::finish_record(const IngestOptions& options, Record& record) {
  const std::string name = field_name(options.vec_field);
  if (record.vec.empty()) return name + " is empty";
  if (options.dim != 0 && record.vec.size() != options.dim) {
    return name + " has " + std::to_string(record.vec.size()) + " numbers, expected " +
           std::to_string(options.dim);
  }
  if (options.metric == Metric::kCosine) {
    bool all_zero = true;
    for (float x : record.vec) all_zero = all_zero && x == 0.0f;
    if (all_zero) return name + " is all zeros, which has no direction under cosine";
    if (!simd::normalize(record.vec)) return name + " is too large to normalise in 32-bit floats";
  }
  return {};
}

JsonlParser::JsonlParser(IngestOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {}
JsonlParser::~JsonlParser() = default;

Status JsonlParser::parse_line(std::string_view line, std::string_view source, uint64_t line_number,
                               Record& record) {
  auto fail = [&](const std::string& reason) {
    return Status::BadData(std::string(source) + ":" + std::to_string(line_number) + ": " + reason);
  };
  simdjson::padded_string_view padded(line.data(), line.size(), line.size() + line_chunk_padding());
  od::document doc;
  if (auto error = impl_->parser.iterate(padded).get(doc)) return fail(json_error(error));
  impl_->precise_problem = false;
  std::string problem = impl_->parse_document(doc, options_, record);
  if (!problem.empty() && impl_->precise_problem) return fail(problem);
  if (!problem.empty()) {
    // On-Demand reports a malformed line by whatever it tripped over first
    // ("expected an object, got null" for `nonsense`); ask the validating
    // parser whether the line is JSON at all so the message says so.
    simdjson::dom::element unused;
    if (auto error = impl_->dom.parse(line.data(), line.size(), false).get(unused)) {
      // Plain text, a log line, a CSV row: naming the token simdjson choked on
      // ("bad literal" for a word starting with t) would only confuse.
      size_t at = leading_blanks(line);
      char first = at < line.size() ? line[at] : '\0';
      if (first != '{' && first != '[') return fail("not valid JSON: expected a JSON object");
      return fail(json_error(error));
    }
    return fail(problem);
  }
  // The object was read to its closing brace; anything but blanks after it is
  // a second value on the same line.
  const char* location = nullptr;
  if (doc.current_location().get(location) == simdjson::SUCCESS && location < line.data() + line.size()) {
    return fail("unexpected text after the JSON object");
  }
  return Status::Ok();
}

void JsonlParser::parse_chunk(const LineChunk& chunk, std::string_view source, ParsedChunk& out) {
  out.clear();
  auto slot = [&out]() -> Record& {
    if (out.records.size() <= out.record_count) out.records.emplace_back();
    return out.records[out.record_count];
  };
  auto next_nonblank = [&chunk](size_t i) {
    while (i < chunk.lines.size() && chunk.lines[i].blank) ++i;
    return i;
  };

  // Fast path: one iterate_many over the chunk. Any surprise sends us to the
  // slow path, which is also the only place messages are produced.
  bool fast_ok = false;
  {
    od::document_stream stream;
    const size_t batch_bytes = std::max<size_t>(chunk.text.size(), simdjson::dom::MINIMAL_BATCH_SIZE);
    if (!chunk.text.empty() &&
        impl_->parser.iterate_many(chunk.text.data(), chunk.text.size(), batch_bytes).get(stream) ==
            simdjson::SUCCESS) {
      fast_ok = true;
      size_t line = next_nonblank(0);
      for (auto it = stream.begin(); it != stream.end(); ++it) {
        od::document_reference doc;
        if ((*it).get(doc) != simdjson::SUCCESS || line >= chunk.lines.size() ||
            it.current_index() != chunk.lines[line].offset + leading_blanks(chunk.line(line))) {
          fast_ok = false;
          break;
        }
        if (!impl_->parse_document(doc, options_, slot()).empty()) {
          fast_ok = false;
          break;
        }
        out.record_lines.push_back(static_cast<uint32_t>(line));
        ++out.record_count;
        line = next_nonblank(line + 1);
      }
      fast_ok = fast_ok && line == chunk.lines.size() && stream.truncated_bytes() == 0;
    }
  }
  if (!fast_ok) {
    out.record_count = 0;
    out.record_lines.clear();
    for (size_t i = 0; i < chunk.lines.size(); ++i) {
      if (chunk.lines[i].blank) continue;
      Status status = parse_line(chunk.line(i), source, chunk.line_number(i), slot());
      if (status.ok()) {
        out.record_lines.push_back(static_cast<uint32_t>(i));
        ++out.record_count;
      } else {
        out.errors.push_back(LineError{static_cast<uint32_t>(i), std::move(status)});
      }
    }
  }
  for (const LineSpan& span : chunk.lines) out.blank_lines += span.blank ? 1 : 0;
}

void append_record_jsonl(std::string& out, const Record& record, std::string_view id_field,
                         std::string_view vec_field) {
  out.push_back('{');
  append_json_string(id_field, out);
  out.push_back(':');
  append_json_string(record.id, out);
  out.push_back(',');
  append_json_string(vec_field, out);
  out.append(":[");
  char number[32];
  for (size_t i = 0; i < record.vec.size(); ++i) {
    if (i > 0) out.push_back(',');
    auto written = std::to_chars(number, number + sizeof(number), record.vec[i]);
    out.append(number, written.ptr);
  }
  out.push_back(']');
  if (record.meta.size() > 2) {  // "{...}" with at least one field
    out.push_back(',');
    out.append(record.meta, 1, record.meta.size() - 2);
  }
  out.append("}\n");
}

}  // namespace vs
