#include "format/field_index_writer.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "format/shard_layout.h"

namespace vs {

namespace od = simdjson::ondemand;

namespace {

// Calls on_value(key, is_number, number, text) for every indexable value at
// the top level of `meta`: strings, numbers, and the string and number
// elements of arrays. `padded` is scratch reused across calls.
template <typename OnValue>
Status for_each_value(std::string_view meta, std::string& padded, od::parser& parser, OnValue&& on_value) {
  padded.resize(meta.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(padded.data(), meta.data(), meta.size());
  od::document doc;
  od::object object;
  if (parser.iterate(simdjson::padded_string_view(padded.data(), meta.size(), padded.size())).get(doc) !=
          simdjson::SUCCESS ||
      doc.get_object().get(object) != simdjson::SUCCESS) {
    return Status::BadData("metadata is not a JSON object");
  }
  auto visit = [&](std::string_view key, od::value& value) -> bool {
    od::json_type type;
    if (value.type().get(type) != simdjson::SUCCESS) return false;
    if (type == od::json_type::string) {
      std::string_view text;
      if (value.get_string().get(text) != simdjson::SUCCESS) return false;
      on_value(key, false, 0.0, text);
    } else if (type == od::json_type::number) {
      double number = 0;
      if (value.get_double().get(number) != simdjson::SUCCESS) return false;
      if (std::isfinite(number)) on_value(key, true, number, std::string_view());
    }
    return true;
  };
  for (auto member : object) {
    std::string_view key;
    od::value value;
    if (member.unescaped_key().get(key) != simdjson::SUCCESS || member.value().get(value) != simdjson::SUCCESS) {
      return Status::BadData("metadata is not valid JSON");
    }
    // The key views the parser's string buffer, which the values' strings
    // overwrite; keep a copy for the callbacks.
    const std::string name(key);
    od::json_type type;
    if (value.type().get(type) != simdjson::SUCCESS) return Status::BadData("metadata is not valid JSON");
    if (type == od::json_type::array) {
      od::array array;
      if (value.get_array().get(array) != simdjson::SUCCESS) return Status::BadData("metadata is not valid JSON");
      for (auto element : array) {
        od::value item;
        if (element.get(item) != simdjson::SUCCESS || !visit(name, item)) {
          return Status::BadData("metadata is not valid JSON");
        }
      }
    } else if (!visit(name, value)) {
      return Status::BadData("metadata is not valid JSON");
    }
  }
  return Status::Ok();
}

void put_u64(std::string& out, uint64_t value) { out.append(reinterpret_cast<const char*>(&value), 8); }
void pad8(std::string& out) { out.resize((out.size() + 7) & ~size_t{7}, '\0'); }

// What one shard holds for one field while its section is being encoded.
struct FieldValues {
  std::map<std::string, std::vector<uint32_t>, std::less<>> strings;  // sorted bytewise
  std::vector<std::pair<double, uint32_t>> numbers;
};

void encode_strings(const FieldValues& values, std::string& out) {
  uint64_t postings = 0;
  for (const auto& [text, nodes] : values.strings) postings += nodes.size();
  put_u64(out, values.strings.size());
  put_u64(out, postings);
  uint64_t offset = 0;
  put_u64(out, 0);
  for (const auto& [text, nodes] : values.strings) put_u64(out, offset += text.size());
  uint64_t start = 0;
  put_u64(out, 0);
  for (const auto& [text, nodes] : values.strings) put_u64(out, start += nodes.size());
  for (const auto& [text, nodes] : values.strings) {
    out.append(reinterpret_cast<const char*>(nodes.data()), nodes.size() * sizeof(uint32_t));
  }
  pad8(out);
  for (const auto& [text, nodes] : values.strings) out += text;
}

void encode_numbers(FieldValues& values, std::string& out) {
  std::sort(values.numbers.begin(), values.numbers.end());
  put_u64(out, values.numbers.size());
  for (const auto& [number, node] : values.numbers) out.append(reinterpret_cast<const char*>(&number), 8);
  for (const auto& [number, node] : values.numbers) out.append(reinterpret_cast<const char*>(&node), 4);
}

}  // namespace

bool is_reserved_field_name(std::string_view name) { return name == "not" || name == "and" || name == "or"; }

Status check_index_field_names(const std::vector<std::string>& requested) {
  for (const std::string& name : requested) {
    if (is_reserved_field_name(name)) {
      return Status::Usage(
          "--index-fields: '" + name +
          "' is reserved by the filter syntax (an operator), so a field of that name cannot be "
          "filtered on");
    }
  }
  return Status::Ok();
}

FieldSchemaBuilder::FieldSchemaBuilder(std::vector<std::string> requested) : all_fields_(requested.empty()) {
  for (std::string& name : requested) kinds_.emplace(std::move(name), 0);
}

Status FieldSchemaBuilder::add(std::string_view meta) {
  return for_each_value(meta, padded_, parser_, [&](std::string_view key, bool is_number, double, std::string_view) {
    auto it = kinds_.find(key);
    if (it == kinds_.end()) {
      if (!all_fields_ || is_reserved_field_name(key)) return;
      it = kinds_.emplace(std::string(key), 0).first;
    }
    it->second |= is_number ? format::kFieldHasNumbers : format::kFieldHasStrings;
  });
}

Expected<FieldSchema> FieldSchemaBuilder::finish() const {
  FieldSchema schema;
  for (const auto& [name, kinds] : kinds_) {
    if (kinds == 0) {
      return Status::Usage("--index-fields: no record has a string or number in field '" + name + "'");
    }
    schema.names.push_back(name);
    schema.kinds.push_back(kinds);
  }
  return schema;
}

Expected<std::string> encode_field_index(const FieldSchema& schema, const std::vector<std::string>& metas) {
  std::vector<FieldValues> fields(schema.names.size());
  if (!fields.empty()) {
    std::string padded;
    od::parser parser;
    for (uint32_t node = 0; node < metas.size(); ++node) {
      Status status = for_each_value(
          metas[node], padded, parser, [&](std::string_view key, bool is_number, double number, std::string_view text) {
            auto it = std::lower_bound(schema.names.begin(), schema.names.end(), key);
            if (it == schema.names.end() || *it != key) return;
            FieldValues& field = fields[static_cast<size_t>(it - schema.names.begin())];
            if (is_number) {
              field.numbers.emplace_back(number, node);
              return;
            }
            auto& nodes = field.strings.try_emplace(std::string(text)).first->second;
            if (nodes.empty() || nodes.back() != node) nodes.push_back(node);  // an array may repeat a value
          });
      if (!status.ok()) return std::move(status).with_context("document " + std::to_string(node));
    }
  }

  // The header and table first, then the names, then each field's parts.
  std::string out;
  format::FieldIndexHeader header{static_cast<uint32_t>(fields.size()), 0};
  out.append(reinterpret_cast<const char*>(&header), sizeof(header));
  std::vector<format::FieldEntry> table(fields.size());
  const size_t table_at = out.size();
  out.resize(out.size() + table.size() * sizeof(format::FieldEntry));
  for (size_t i = 0; i < fields.size(); ++i) {
    table[i].name_offset = out.size();
    table[i].name_bytes = static_cast<uint32_t>(schema.names[i].size());
    table[i].kinds = schema.kinds[i];
    out += schema.names[i];
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!fields[i].strings.empty()) {
      pad8(out);
      table[i].strings_offset = out.size();
      encode_strings(fields[i], out);
      table[i].strings_bytes = out.size() - table[i].strings_offset;
    }
    if (!fields[i].numbers.empty()) {
      pad8(out);
      table[i].numbers_offset = out.size();
      encode_numbers(fields[i], out);
      table[i].numbers_bytes = out.size() - table[i].numbers_offset;
    }
  }
  pad8(out);
  if (!table.empty()) std::memcpy(out.data() + table_at, table.data(), table.size() * sizeof(format::FieldEntry));
  return out;
}

}  // namespace vs
