#include "format/shard_writer.h"

#include <cstring>

#include "format/shard_layout.h"
#include "util/hash.h"

namespace vs {
namespace {

using format::SectionEntry;
using format::SectionKind;
using format::ShardHeader;
using format::ShardTrailer;

struct Section {
  SectionKind kind;
  std::string_view bytes;
};

template <typename T>
std::string_view as_bytes(const std::vector<T>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)};
}

// Concatenates strings into (offsets, bytes) with offsets.size() == n + 1.
void pack_strings(const std::vector<std::string>& strings, std::vector<uint64_t>& offsets, std::string& bytes) {
  offsets.clear();
  offsets.reserve(strings.size() + 1);
  size_t total = 0;
  for (const std::string& s : strings) total += s.size();
  bytes.clear();
  bytes.reserve(total);
  offsets.push_back(0);
  for (const std::string& s : strings) {
    bytes += s;
    offsets.push_back(bytes.size());
  }
}

Status append_padding(WritableFile& file, uint64_t& position) {
  static const char zeros[format::kShardAlignment] = {};
  size_t pad = round_up64(position) - position;
  position += pad;
  return file.append({zeros, pad});
}

}  // namespace

Expected<ShardFileInfo> write_shard(Env& env, const std::string& path, const BuiltGraph& graph,
                                    const std::vector<std::string>& ids, const std::vector<std::string>& metas,
                                    std::string_view field_index) {
  if (ids.size() != graph.count || metas.size() != graph.count) {
    return Status::Internal("write_shard: ids/metas do not match the graph's node count");
  }
  std::vector<uint64_t> id_offsets, meta_offsets;
  std::string id_bytes, meta_bytes;
  pack_strings(ids, id_offsets, id_bytes);
  pack_strings(metas, meta_offsets, meta_bytes);

  const bool sq8 = graph.params.sq8;
  const uint32_t section_count = format::kDimOrderSectionCount;
  std::vector<float> ranges;
  if (sq8) {
    ranges = graph.sq8_min;
    ranges.insert(ranges.end(), graph.sq8_scale.begin(), graph.sq8_scale.end());
  }
  const Section sections[format::kDimOrderSectionCount] = {
      {SectionKind::kNodes,
       {reinterpret_cast<const char*>(graph.nodes.get()), graph.node_stride * graph.count}},
      {SectionKind::kLevels, as_bytes(graph.levels)},
      {SectionKind::kUpperOffsets, as_bytes(graph.upper_offsets)},
      {SectionKind::kUpperLinks, as_bytes(graph.upper_links)},
      {SectionKind::kIdOffsets, as_bytes(id_offsets)},
      {SectionKind::kIdBytes, id_bytes},
      {SectionKind::kMetaOffsets, as_bytes(meta_offsets)},
      {SectionKind::kMetaBytes, meta_bytes},
      {SectionKind::kVectors,
       {reinterpret_cast<const char*>(graph.vectors.get()), sq8 ? vector_bytes_for(graph.dim) * graph.count : 0}},
      {SectionKind::kSq8Ranges, as_bytes(ranges)},
      {SectionKind::kFieldIndex, field_index},
      {SectionKind::kDimOrder, as_bytes(graph.dim_order)},
  };

  SectionEntry table[format::kDimOrderSectionCount] = {};
  const size_t table_bytes = sizeof(SectionEntry) * section_count;
  uint64_t offset = round_up64(sizeof(ShardHeader) + table_bytes);
  for (uint32_t i = 0; i < section_count; ++i) {
    table[i].kind = static_cast<uint32_t>(sections[i].kind);
    table[i].offset = offset;
    table[i].bytes = sections[i].bytes.size();
    table[i].checksum = checksum64(sections[i].bytes);
    offset = round_up64(offset + sections[i].bytes.size());
  }
  const uint64_t file_bytes = offset + sizeof(ShardTrailer);

  ShardHeader header{};
  std::memcpy(header.magic, format::kShardMagic, sizeof(header.magic));
  header.format_version = format::kShardFormatVersion;
  header.header_bytes = sizeof(ShardHeader);
  header.dim = graph.dim;
  header.dim_padded = padded_dim(graph.dim);
  header.metric = static_cast<uint32_t>(graph.metric);
  header.element_type = 0;
  header.m = graph.params.m;
  header.m0 = 2 * graph.params.m;
  header.ef_construction = graph.params.ef_construction;
  header.entry_point = graph.entry_point;
  header.max_level = graph.max_level;
  header.section_count = section_count;
  header.code_type = static_cast<uint32_t>(sq8 ? format::CodeType::kSq8 : format::CodeType::kNone);
  header.count = graph.count;
  header.node_stride = graph.node_stride;
  header.file_bytes = file_bytes;
  header.section_table_checksum = checksum64(table, table_bytes);
  header.build_seed = graph.params.seed;
  header.header_checksum = checksum64(&header, offsetof(ShardHeader, header_checksum));

  ShardTrailer trailer{};
  std::memcpy(trailer.magic, format::kShardTrailerMagic, sizeof(trailer.magic));
  trailer.file_bytes = file_bytes;
  trailer.header_checksum = header.header_checksum;

  Status status = write_file_atomically(env, path, [&](WritableFile& file) -> Status {
    uint64_t position = 0;
    VS_RETURN_IF_ERROR(file.append({reinterpret_cast<const char*>(&header), sizeof(header)}));
    VS_RETURN_IF_ERROR(file.append({reinterpret_cast<const char*>(table), table_bytes}));
    position = sizeof(header) + table_bytes;
    for (uint32_t i = 0; i < section_count; ++i) {
      VS_RETURN_IF_ERROR(append_padding(file, position));
      VS_RETURN_IF_ERROR(file.append(sections[i].bytes));
      position += sections[i].bytes.size();
    }
    VS_RETURN_IF_ERROR(append_padding(file, position));
    return file.append({reinterpret_cast<const char*>(&trailer), sizeof(trailer)});
  });
  if (!status.ok()) return status;
  return ShardFileInfo{header.header_checksum, file_bytes};
}

}  // namespace vs
