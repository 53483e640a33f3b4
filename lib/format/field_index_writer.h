// Field indexes for filtered search: choosing the fields, and encoding a
// shard's kFieldIndex section (layout in format/shard_layout.h).
//
// A field is indexed from the top level of each document's metadata: its
// string and number values (and the string and number elements of an array
// value) are indexed; other values (true, false, null, objects) are not, and a
// document holding one matches no condition on that field.
//
// FieldSchemaBuilder sees every record of a build once, so all shards of one
// build carry the same field list and kinds: a filter means the same thing in
// every shard. Not thread-safe.
//
// "not", "and" and "or" are operators of the filter syntax (query/filter.h),
// so a field of one of those names could never be filtered on: indexing it
// would only cost space and list it among the fields a filter can name. The
// default skips them, and naming one is a usage error.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vs {

// True for the names the filter syntax reserves: not, and, or.
bool is_reserved_field_name(std::string_view name);

// Usage error naming the first reserved name in `requested` (vs-build
// --index-fields), before any record is read.
Status check_index_field_names(const std::vector<std::string>& requested);

struct FieldSchema {
  std::vector<std::string> names;  // sorted bytewise
  std::vector<uint32_t> kinds;     // format::FieldKinds, per name
};

class FieldSchemaBuilder {
 public:
  // `requested`: the fields to index (vs-build --index-fields; see
  // check_index_field_names); empty means every field that holds a string or
  // number in some record, but for the reserved names.
  explicit FieldSchemaBuilder(std::vector<std::string> requested);

  // Notes the kinds of value one record's metadata (a JSON object) holds.
  // BadData if the text is not a JSON object.
  Status add(std::string_view meta);

  // Usage error naming a requested field that no record holds a string or
  // number in (most likely a typo).
  Expected<FieldSchema> finish() const;

 private:
  bool all_fields_;
  std::map<std::string, uint32_t, std::less<>> kinds_;
  std::string padded_;
  simdjson::ondemand::parser parser_;
};

// Encodes the kFieldIndex section for one shard whose node i has metadata
// metas[i]. An empty schema gives a section with no fields. BadData if a
// metadata text is not a JSON object.
Expected<std::string> encode_field_index(const FieldSchema& schema, const std::vector<std::string>& metas);

}  // namespace vs
