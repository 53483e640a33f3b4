#include "query/result_writer.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace vs {

void append_score(float score, std::string& out) {
  if (std::isnan(score)) score = std::numeric_limits<float>::lowest();
  if (std::isinf(score)) score = score > 0 ? std::numeric_limits<float>::max() : std::numeric_limits<float>::lowest();
  if (score == 0.0f) score = 0.0f;  // -0 (l2 at distance 0) reads oddly; print it as 0
  char digits[32];
  auto result = std::to_chars(digits, digits + sizeof digits, score);
  out.append(digits, result.ptr);
}

void append_result_line(std::string_view query_id, std::span<const Hit> hits, std::string& out) {
  out += "{\"id\":";
  append_json_string(query_id, out);
  out += ",\"hits\":[";
  for (size_t i = 0; i < hits.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += "{\"id\":";
    append_json_string(hits[i].id, out);
    out += ",\"score\":";
    append_score(hits[i].score, out);
    if (!hits[i].meta.empty()) {
      out += ",\"meta\":";
      out += hits[i].meta;
    }
    out.push_back('}');
  }
  out += "]}\n";
}

Status ResultWriter::write(std::string_view query_id, std::span<const Hit> hits) {
  line_.clear();
  append_result_line(query_id, hits, line_);
  return out_.write(line_);
}

}  // namespace vs
