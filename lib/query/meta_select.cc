#include "query/meta_select.h"

#include <algorithm>

#include "util/json_text.h"

namespace vs {

void MetaSelector::select(std::string_view meta, std::span<const std::string> fields, std::string& out) {
  const size_t start = out.size();
  out += '{';
  simdjson::dom::object object;
  if (parser_.parse(meta.data(), meta.size()).get_object().get(object) != simdjson::SUCCESS) {
    out.resize(start);
    out += "{}";
    return;
  }
  bool first = true;
  for (auto [key, value] : object) {
    if (std::find(fields.begin(), fields.end(), key) == fields.end()) continue;
    if (!first) out += ',';
    first = false;
    append_json_string(key, out);
    out += ':';
    out += simdjson::minify(value);
  }
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
