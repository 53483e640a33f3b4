#include "format/shard_reader.h"

#include <cstddef>
#include <cstring>
#include <vector>

#include "util/hash.h"

namespace vs {
namespace {

using format::SectionEntry;
using format::SectionKind;
using format::ShardHeader;
using format::ShardTrailer;

// Levels are capped at 31 by the builder; anything larger is corruption.
constexpr int32_t kMaxLevel = 31;

}  // namespace

Expected<std::unique_ptr<ShardReader>> ShardReader::open(const std::string& path) {
  auto file = MappedFile::open(path);
  if (!file.ok()) return file.status();
  std::unique_ptr<ShardReader> reader(new ShardReader());
  reader->file_ = std::move(file).value();
  Status status = reader->check_layout();
  if (!status.ok()) return Status::Corruption("'" + path + "' is not a valid shard file: " + status.message());
  return reader;
}

// Everything here is O(1) in the number of nodes: open must stay instant for
// any size. Section contents are checked by verify().
Status ShardReader::check_layout() {
  const size_t size = file_.size();
  const std::byte* base = file_.data();
  if (size < sizeof(ShardHeader) + sizeof(ShardTrailer)) return Status::Corruption("too short (truncated?)");
  header_ = reinterpret_cast<const ShardHeader*>(base);
  const ShardHeader& h = *header_;
  if (std::memcmp(h.magic, format::kShardMagic, sizeof(h.magic)) != 0) return Status::Corruption("bad magic");
  if (h.header_checksum != checksum64(&h, offsetof(ShardHeader, header_checksum))) {
    return Status::Corruption("header checksum mismatch");
  }
  if (h.format_version != format::kShardFormatVersion) {
    return Status::Corruption("unsupported format version " + std::to_string(h.format_version));
  }
  if (h.file_bytes != size) {
    return Status::Corruption("size is " + std::to_string(size) + " bytes, header says " +
                              std::to_string(h.file_bytes) + " (truncated?)");
  }
  // Copied, not cast: in a file of the wrong size the trailer need not be
  // 8-byte aligned (tests/fuzz/regressions/shard_reader/).
  ShardTrailer trailer;
  std::memcpy(&trailer, base + size - sizeof(ShardTrailer), sizeof(trailer));
  if (std::memcmp(trailer.magic, format::kShardTrailerMagic, sizeof(trailer.magic)) != 0 ||
      trailer.file_bytes != size || trailer.header_checksum != h.header_checksum) {
    return Status::Corruption("bad trailer (truncated?)");
  }
  const bool sq8 = h.code_type == static_cast<uint32_t>(format::CodeType::kSq8);
  const bool old_layout = h.section_count == (sq8 ? format::kSq8SectionCount : format::kSectionCount);
  if (h.code_type > 1 || (!old_layout && h.section_count != format::kFieldIndexSectionCount &&
                          h.section_count != format::kDimOrderSectionCount)) {
    return Status::Corruption("unknown code type or section count");
  }
  if (h.header_bytes != sizeof(ShardHeader) || h.element_type != 0 || !metric_valid(h.metric) || h.dim == 0 ||
      h.dim_padded != padded_dim(h.dim) || h.m < 2 || h.m > 255 || h.m0 != 2 * h.m ||
      h.node_stride != node_stride_for(h.dim, h.m0, sq8) ||
      h.count > 0xFFFFFFFEu || h.max_level > kMaxLevel || (h.count > 0 && h.entry_point >= h.count) ||
      (h.count == 0) != (h.max_level < 0)) {
    return Status::Corruption("inconsistent header fields");
  }
  const size_t table_bytes = sizeof(SectionEntry) * h.section_count;
  if (sizeof(ShardHeader) + table_bytes + sizeof(ShardTrailer) > size) return Status::Corruption("too short");
  sections_ = reinterpret_cast<const SectionEntry*>(base + sizeof(ShardHeader));
  if (checksum64(sections_, table_bytes) != h.section_table_checksum) {
    return Status::Corruption("section table checksum mismatch");
  }

  const uint64_t data_begin = sizeof(ShardHeader) + table_bytes;
  const uint64_t data_end = size - sizeof(ShardTrailer);
  const uint64_t count = h.count;
  // Variable-sized sections are marked by 0 here; a float shard's sq8 sections are empty.
  const uint64_t expected_bytes[format::kDimOrderSectionCount] = {
      count * h.node_stride, count, count * 4, 0, (count + 1) * 8, 0, (count + 1) * 8, 0,
      sq8 ? count * vector_bytes_for(h.dim) : 0, sq8 ? uint64_t{h.dim_padded} * 8 : 0, 0, 0};
  const std::byte* section_data[format::kDimOrderSectionCount] = {};
  for (uint32_t i = 0; i < h.section_count; ++i) {
    const SectionEntry& s = sections_[i];
    if (s.kind != i + 1) return Status::Corruption("section " + std::to_string(i) + " has the wrong kind");
    if (s.offset % format::kShardAlignment != 0 || s.offset < data_begin || s.offset > data_end ||
        s.bytes > data_end - s.offset) {
      return Status::Corruption("section " + std::to_string(i) + " lies outside the file");
    }
    const bool variable = i == 3 || i == 5 || i == 7 || i == 10 || i == 11;
    if (!variable && s.bytes != expected_bytes[i]) {
      return Status::Corruption("section " + std::to_string(i) + " has the wrong size");
    }
    section_data[i] = base + s.offset;
  }
  const SectionEntry& upper = sections_[static_cast<int>(SectionKind::kUpperLinks) - 1];
  if (upper.bytes % 4 != 0) return Status::Corruption("upper links section has the wrong size");

  graph_.nodes = section_data[0];
  graph_.node_stride = h.node_stride;
  graph_.links_offset = links_offset_for(h.dim, sq8);
  graph_.vectors = sq8 ? section_data[8] : section_data[0];
  graph_.vector_stride = sq8 ? vector_bytes_for(h.dim) : h.node_stride;
  if (sq8) {
    graph_.sq8_min = reinterpret_cast<const float*>(section_data[9]);
    graph_.sq8_scale = graph_.sq8_min + h.dim_padded;
  }
  graph_.dim = h.dim;
  graph_.dim_padded = h.dim_padded;
  graph_.metric = static_cast<Metric>(h.metric);
  graph_.m = h.m;
  graph_.m0 = h.m0;
  graph_.count = static_cast<uint32_t>(h.count);
  graph_.entry_point = h.entry_point;
  graph_.max_level = h.max_level;
  graph_.levels = reinterpret_cast<const uint8_t*>(section_data[1]);
  graph_.upper_offsets = reinterpret_cast<const uint32_t*>(section_data[2]);
  graph_.upper_links = reinterpret_cast<const uint32_t*>(section_data[3]);
  graph_.upper_words = upper.bytes / 4;
  id_offsets_ = reinterpret_cast<const uint64_t*>(section_data[4]);
  id_bytes_ = reinterpret_cast<const char*>(section_data[5]);
  meta_offsets_ = reinterpret_cast<const uint64_t*>(section_data[6]);
  meta_bytes_ = reinterpret_cast<const char*>(section_data[7]);

  if (h.section_count >= format::kDimOrderSectionCount && sections_[11].bytes != 0) {
    // O(dim), not O(count): a permutation of the dimensions, and only where
    // a bounded l2 sum can use it (float l2 and cosine shards; index/distance_fn.h).
    if (sq8 || graph_.metric == Metric::kIP || sections_[11].bytes != uint64_t{h.dim} * 4) {
      return Status::Corruption("dimension order section has the wrong size or is on the wrong kind of shard");
    }
    const auto* order = reinterpret_cast<const uint32_t*>(section_data[11]);
    std::vector<bool> seen(h.dim, false);
    for (uint32_t j = 0; j < h.dim; ++j) {
      if (order[j] >= h.dim || seen[order[j]]) return Status::Corruption("dimension order is not a permutation");
      seen[order[j]] = true;
    }
    graph_.dim_order = order;
  }
  if (h.section_count >= format::kFieldIndexSectionCount) {
    auto fields = FieldIndex::open(section_data[10], sections_[10].bytes);
    if (!fields.ok()) return fields.status();
    fields_ = *fields;
  }

  // The entry point's upper adjacency is the one part of the upper levels every
  // query reads; check it fits so a flipped byte cannot send the first read astray.
  if (h.count > 0 && h.max_level > 0) {
    uint64_t end = uint64_t{graph_.upper_offsets[h.entry_point]} + uint64_t(h.max_level) * (h.m + 1);
    if (graph_.levels[h.entry_point] != h.max_level || end * 4 > upper.bytes) {
      return Status::Corruption("entry point does not match the upper levels");
    }
  }
  return Status::Ok();
}

Status ShardReader::verify() const {
  static const char* const kNames[format::kDimOrderSectionCount] = {
      "nodes",   "levels",     "upper offsets", "upper links", "id offsets", "ids", "meta offsets", "metadata",
      "vectors", "sq8 ranges", "field index",   "dimension order"};
  for (uint32_t i = 0; i < header_->section_count; ++i) {
    const SectionEntry& s = sections_[i];
    if (checksum64(file_.data() + s.offset, s.bytes) != s.checksum) {
      return Status::Corruption("'" + path() + "': checksum mismatch in section '" + kNames[i] + "'");
    }
  }
  // Structural checks the checksums cannot make for a file written by a buggy writer.
  const uint64_t id_bytes = sections_[5].bytes, meta_bytes = sections_[7].bytes;
  const uint64_t upper_words = sections_[3].bytes / 4;
  for (uint32_t node = 0; node < graph_.count; ++node) {
    if (id_offsets_[node] > id_offsets_[node + 1] || id_offsets_[node + 1] > id_bytes ||
        meta_offsets_[node] > meta_offsets_[node + 1] || meta_offsets_[node + 1] > meta_bytes) {
      return Status::Corruption("'" + path() + "': id or metadata offsets out of order at node " +
                                std::to_string(node));
    }
    if (uint64_t{graph_.upper_offsets[node]} + uint64_t{graph_.levels[node]} * (graph_.m + 1) > upper_words) {
      return Status::Corruption("'" + path() + "': upper links out of range at node " + std::to_string(node));
    }
  }
  return Status::Ok();
}

// Offsets are clamped rather than trusted: open() is O(1) and does not read
// them all, and a corrupt offset must not read outside the mapping.
static std::string_view slice(const uint64_t* offsets, const char* bytes, uint64_t limit, uint32_t node) {
  uint64_t begin = std::min(offsets[node], limit);
  uint64_t end = std::min(std::max(offsets[node + 1], begin), limit);
  return {bytes + begin, static_cast<size_t>(end - begin)};
}

std::string_view ShardReader::id(uint32_t node) const {
  return slice(id_offsets_, id_bytes_, sections_[5].bytes, node);
}

std::string_view ShardReader::meta(uint32_t node) const {
  return slice(meta_offsets_, meta_bytes_, sections_[7].bytes, node);
}

}  // namespace vs
