// MetaSelector: the part of a document's metadata a query asked for
// ("include": ["category", ...]).
//
// select() copies the named top-level fields of a metadata JSON object, in
// the object's own order, each value's text exactly as it was written, into a
// new object; fields the document lacks are left out. Metadata comes from our
// own shard files, so it is valid JSON; if it is not, the result is "{}".
// Owns its parser: one per thread.
#pragma once

#include <simdjson.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "query/hit.h"

namespace vs {

class MetaSelector {
 public:
  // Appends the selected object to `out`.
  void select(std::string_view meta, std::span<const std::string> fields, std::string& out);

  // Replaces every hit's metadata by its selection, kept in `storage`
  // (filled completely before any hit views it, so it never moves under a view).
  void select_hits(std::span<const std::string> fields, std::vector<Hit>& hits, std::string& storage);

 private:
  simdjson::ondemand::parser parser_;
  std::string padded_;
  std::vector<size_t> ends_;
};

}  // namespace vs
