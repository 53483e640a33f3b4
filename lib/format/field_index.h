// FieldIndex: a read-only view of a shard's kFieldIndex section (layout in
// format/shard_layout.h), the lookups filters are evaluated with.
//
// open() checks the field table and that every part lies inside the section,
// in O(fields); lookups clamp what they read, so a corrupt section gives
// wrong matches at worst, never a read outside it (vs-query --verify finds
// the corruption by checksum). Node ids are not checked here: callers skip
// ids ≥ the shard's count. A view over mapped memory: valid while the shard
// is open; thread-safe for concurrent readers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/status.h"
#include "format/shard_layout.h"

namespace vs {

class FieldIndex {
 public:
  FieldIndex() = default;  // no fields: a shard written before field indexes

  // Corruption naming what is wrong.
  static Expected<FieldIndex> open(const std::byte* data, uint64_t bytes);

  size_t field_count() const { return field_count_; }
  std::string_view name(size_t field) const;
  uint32_t kinds(size_t field) const { return entries_[field].kinds; }
  // The field's position, or -1 when it is not indexed.
  ptrdiff_t find(std::string_view name) const;

  // The ascending node ids whose `field` holds the string `value`.
  std::span<const uint32_t> postings(size_t field, std::string_view value) const;

  // The nodes whose `field` holds a number in the range, in value order (a
  // node may appear more than once when its value is an array).
  struct NumberRun {
    std::span<const double> values;
    std::span<const uint32_t> nodes;
  };
  NumberRun numbers(size_t field) const;

  // All string values of `field` with their postings, for exhaustive scans.
  size_t string_value_count(size_t field) const;
  std::span<const uint32_t> postings_at(size_t field, size_t value) const;
  std::string_view string_value(size_t field, size_t value) const;

 private:
  struct StringPart {
    uint64_t value_count = 0;
    uint64_t posting_count = 0;
    const uint64_t* value_offsets = nullptr;
    const uint64_t* posting_starts = nullptr;
    const uint32_t* postings = nullptr;
    const char* bytes = nullptr;
    uint64_t byte_count = 0;
  };
  StringPart strings(size_t field) const;

  const std::byte* data_ = nullptr;
  uint64_t bytes_ = 0;
  size_t field_count_ = 0;
  const format::FieldEntry* entries_ = nullptr;
};

}  // namespace vs
