// The byte layout of a .vsi shard file, version 1 (docs/FORMATS.md, "Shard file").
//
// A shard file is read through mmap with no parsing step: the node section is
// the in-memory graph the search walks. All integers are little-endian; every
// section starts on a 64-byte boundary and carries an XXH64 checksum in the
// section table. Only lib/format/shard_writer.cc and shard_reader.cc touch
// these structs.
//
//   [ShardHeader 128 B][SectionEntry × section_count][pad]
//   [section 0][pad] … [section n-1][pad]
//   [ShardTrailer 32 B]
#pragma once

#include <cstdint>

namespace vs::format {

inline constexpr char kShardMagic[8] = {'V', 'S', 'S', 'H', 'A', 'R', 'D', '\0'};
inline constexpr char kShardTrailerMagic[8] = {'V', 'S', 'S', 'H', 'E', 'N', 'D', '\0'};
inline constexpr uint32_t kShardFormatVersion = 1;
inline constexpr uint64_t kShardAlignment = 64;

enum class SectionKind : uint32_t {
  kNodes = 1,         // count × node_stride: float vector[dim_padded] (sq8: u8 codes[dim_padded]
                      // padded to 64 B), then u32 degree, u32 links[m0]
  kLevels = 2,        // u8 level per node (0 = base layer only)
  kUpperOffsets = 3,  // u32 per node: index into kUpperLinks of its level-1 block
  kUpperLinks = 4,    // per node with level L ≥ 1: L blocks of (u32 degree, u32 links[m])
  kIdOffsets = 5,     // u64 × (count + 1) into kIdBytes
  kIdBytes = 6,       // UTF-8 ids, concatenated
  kMetaOffsets = 7,   // u64 × (count + 1) into kMetaBytes
  kMetaBytes = 8,     // raw JSON objects, concatenated
  kVectors = 9,       // sq8 only: count × float vector[dim_padded], each padded to 64 B
  kSq8Ranges = 10,    // sq8 only: float min[dim_padded], float scale[dim_padded]
  kFieldIndex = 11,   // metadata field indexes for filters (format/field_index.h)
  kDimOrder = 12,     // empty, or u32 order[dim]: position j of every stored float vector holds
                      // the record's dimension order[j] (a permutation; float l2/cosine only)
};
// Shards written before field indexes had 8 (float) or 10 (sq8) sections,
// and then 11 until the dimension order; every shard written now has all 12,
// with kVectors and kSq8Ranges empty in a float shard. Readers accept all four
// counts (a shard without kDimOrder stores dimensions in the record's order).
inline constexpr uint32_t kSectionCount = 8;             // an old float shard
inline constexpr uint32_t kSq8SectionCount = 10;         // an old sq8 shard
inline constexpr uint32_t kFieldIndexSectionCount = 11;  // an old shard with field indexes
inline constexpr uint32_t kDimOrderSectionCount = 12;    // every new shard

// The kFieldIndex section. Offsets are from the start of the section; every
// part starts on an 8-byte boundary. Field names are sorted bytewise.
//   FieldIndexHeader, FieldEntry × field_count, names, then per field its
//   string part and number part (either may be absent: offset and bytes 0):
//   string part: u64 value_count V, u64 posting_count P,
//                u64 value_offsets[V + 1] (into the value bytes),
//                u64 posting_starts[V + 1] (into postings),
//                u32 postings[P] (per value: ascending node ids), pad to 8,
//                value bytes (the distinct string values, sorted bytewise)
//   number part: u64 entry_count N, f64 values[N] (ascending),
//                u32 nodes[N] (the node holding each value)
struct FieldIndexHeader {
  uint32_t field_count;
  uint32_t reserved;
};
static_assert(sizeof(FieldIndexHeader) == 8, "the field index header is 8 bytes");

enum FieldKinds : uint32_t { kFieldHasStrings = 1, kFieldHasNumbers = 2 };

struct FieldEntry {
  uint64_t name_offset;
  uint32_t name_bytes;
  uint32_t kinds;  // FieldKinds seen in the whole build, not just this shard
  uint64_t strings_offset;
  uint64_t strings_bytes;
  uint64_t numbers_offset;
  uint64_t numbers_bytes;
};
static_assert(sizeof(FieldEntry) == 48, "a field entry is 48 bytes");

enum class CodeType : uint32_t { kNone = 0, kSq8 = 1 };

struct ShardHeader {
  char magic[8];
  uint32_t format_version;
  uint32_t header_bytes;  // sizeof(ShardHeader)
  uint32_t dim;
  uint32_t dim_padded;    // dim rounded up to 16 floats; the padding is zero
  uint32_t metric;        // vs::Metric
  uint32_t element_type;  // 0 = float32
  uint32_t m;             // max links per node on upper levels
  uint32_t m0;            // max links per node on the base level (2 m)
  uint32_t ef_construction;
  uint32_t entry_point;   // node id of the top-level entry
  int32_t max_level;      // -1 when count == 0
  uint32_t section_count;  // 12 (8, 10 or 11 in shards written before)
  uint64_t count;         // nodes (documents)
  uint64_t node_stride;   // bytes per node in kNodes, a multiple of 64
  uint64_t file_bytes;    // whole file, trailer included
  uint64_t section_table_checksum;  // XXH64 of the section table
  uint64_t build_seed;
  uint32_t code_type;  // CodeType: how nodes hold their vectors for traversal
  uint8_t reserved[20];
  uint64_t header_checksum;  // XXH64 of the bytes before this field
};
static_assert(sizeof(ShardHeader) == 128, "the shard header is 128 bytes");

struct SectionEntry {
  uint32_t kind;  // SectionKind
  uint32_t reserved;
  uint64_t offset;  // from the start of the file, a multiple of 64
  uint64_t bytes;
  uint64_t checksum;  // XXH64 of the section's bytes
};
static_assert(sizeof(SectionEntry) == 32, "a section entry is 32 bytes");

struct ShardTrailer {
  char magic[8];
  uint64_t file_bytes;       // repeats the header's: a truncated file cannot match
  uint64_t header_checksum;  // repeats the header's
  uint64_t reserved;
};
static_assert(sizeof(ShardTrailer) == 32, "the shard trailer is 32 bytes");

}  // namespace vs::format
