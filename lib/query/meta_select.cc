#include "query/meta_select.h"

#include <algorithm>
#include <cstring>

#include "util/json_text.h"

namespace vs {

namespace od = simdjson::ondemand;

namespace {

// The text of `value` exactly as written: objects and arrays whole, scalars
// as their token (which simdjson gives with any whitespace after it).
bool raw_text(od::value& value, std::string_view& out) {
  od::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) return false;
  if (type == od::json_type::object) {
    od::object object;
    return value.get_object().get(object) == simdjson::SUCCESS && object.raw_json().get(out) == simdjson::SUCCESS;
  }
  if (type == od::json_type::array) {
    od::array array;
    return value.get_array().get(array) == simdjson::SUCCESS && array.raw_json().get(out) == simdjson::SUCCESS;
  }
  out = value.raw_json_token();
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t' || out.back() == '\n' || out.back() == '\r')) {
    out.remove_suffix(1);
  }
  return true;
}

}  // namespace

void MetaSelector::select(std::string_view meta, std::span<const std::string> fields, std::string& out) {
  const size_t start = out.size();
  padded_.resize(meta.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(padded_.data(), meta.data(), meta.size());
  od::document doc;
  od::object object;
  bool valid = parser_.iterate(simdjson::padded_string_view(padded_.data(), meta.size(), padded_.size())).get(doc) ==
                   simdjson::SUCCESS &&
               doc.get_object().get(object) == simdjson::SUCCESS;
  out += '{';
  bool first = true;
  if (valid) {
    for (auto member : object) {
      std::string_view key;
      od::value value;
      std::string_view text;
      if (member.unescaped_key().get(key) != simdjson::SUCCESS || member.value().get(value) != simdjson::SUCCESS) {
        valid = false;
        break;
      }
      if (std::find(fields.begin(), fields.end(), key) == fields.end()) continue;
      // The key views the parser's string buffer, which the value's text does not touch.
      const size_t key_at = out.size();
      if (!first) out += ',';
      append_json_string(key, out);
      out += ':';
      if (!raw_text(value, text)) {
        out.resize(key_at);
        valid = false;
        break;
      }
      out += text;
      first = false;
    }
  }
  if (!valid) out.resize(start + 1);  // not reachable for metadata from our own shards
  out += '}';
}

void MetaSelector::select_hits(std::span<const std::string> fields, std::vector<Hit>& hits, std::string& storage) {
  storage.clear();
  ends_.clear();
  for (const Hit& hit : hits) {
    select(hit.meta, fields, storage);
    ends_.push_back(storage.size());
  }
  size_t begin = 0;
  for (size_t i = 0; i < hits.size(); ++i) {
    hits[i].meta = std::string_view(storage).substr(begin, ends_[i] - begin);
    begin = ends_[i];
  }
}

}  // namespace vs
