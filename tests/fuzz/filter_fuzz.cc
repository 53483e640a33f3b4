// Fuzz target: the filter syntax (lib/query/filter.h) and its evaluation
// (lib/query/filter_eval.h), what every "filter" in a query or --filter meets.
//
// Each line is parsed as a filter. An accepted filter must print in a
// canonical form that parses back to the same canonical form, pass or fail
// check_filter() with a message, and evaluate over a small field index to a
// set no larger than the shard.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "format/field_index_writer.h"
#include "fuzz_input.h"
#include "query/filter.h"
#include "query/filter_eval.h"

namespace {

// Twelve documents with a string, a number, an array and a mixed field.
const std::string& field_index_bytes() {
  static const std::string* bytes = [] {
    std::vector<std::string> metas;
    for (int i = 0; i < 12; ++i) {
      metas.push_back("{\"c\":\"v" + std::to_string(i % 3) + "\",\"n\":" + std::to_string(i) + ",\"t\":[\"a\",\"b" +
                      std::to_string(i % 2) + "\"],\"m\":" + (i % 2 ? "1" : "\"x\"") + "}");
    }
    vs::FieldSchemaBuilder builder({});
    for (const std::string& meta : metas) {
      if (!builder.add(meta).ok()) std::abort();
    }
    auto schema = builder.finish();
    if (!schema.ok()) std::abort();
    auto encoded = vs::encode_field_index(*schema, metas);
    if (!encoded.ok()) std::abort();
    return new std::string(std::move(encoded).value());
  }();
  return *bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& bytes = field_index_bytes();
  static const vs::FieldIndex fields =
      vs::FieldIndex::open(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()).value();
  static vs::FilterScratch scratch;
  static vs::AllowedSet allowed;
  for (std::string_view line : vs::fuzz::split_lines(vs::fuzz::as_text(data, size))) {
    auto filter = vs::parse_filter(line);
    if (!filter.ok()) {
      if (filter.status().message().empty()) std::abort();
      continue;
    }
    std::string once;
    vs::append_filter_json(*filter, once);
    auto again = vs::parse_filter(once);
    if (!again.ok()) std::abort();
    std::string twice;
    vs::append_filter_json(*again, twice);
    if (twice != once) std::abort();
    vs::Status checked = vs::check_filter(*filter, fields);
    if (!checked.ok() && checked.message().empty()) std::abort();
    vs::evaluate_filter(*filter, fields, 12, scratch, allowed);
    if (allowed.count() > 12) std::abort();
  }
  return 0;
}
