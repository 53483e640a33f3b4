#include "format/field_index.h"

#include <algorithm>
#include <cstring>

namespace vs {

namespace {

// True when [offset, offset + length) lies inside a section of `bytes` and starts 8-byte aligned.
bool fits(uint64_t offset, uint64_t length, uint64_t bytes) {
  return offset % 8 == 0 && offset <= bytes && length <= bytes - offset;
}

}  // namespace

Expected<FieldIndex> FieldIndex::open(const std::byte* data, uint64_t bytes) {
  FieldIndex index;
  if (bytes == 0) return index;
  if (bytes < sizeof(format::FieldIndexHeader)) return Status::Corruption("field index too short");
  format::FieldIndexHeader header;
  std::memcpy(&header, data, sizeof(header));
  const uint64_t table_bytes = uint64_t{header.field_count} * sizeof(format::FieldEntry);
  if (!fits(sizeof(header), table_bytes, bytes)) return Status::Corruption("field table outside its section");
  index.data_ = data;
  index.bytes_ = bytes;
  index.field_count_ = header.field_count;
  index.entries_ = reinterpret_cast<const format::FieldEntry*>(data + sizeof(header));
  for (size_t i = 0; i < index.field_count_; ++i) {
    const format::FieldEntry& entry = index.entries_[i];
    const bool name_fits = entry.name_offset <= bytes && entry.name_bytes <= bytes - entry.name_offset;
    if (!name_fits || !fits(entry.strings_offset, entry.strings_bytes, bytes) ||
        !fits(entry.numbers_offset, entry.numbers_bytes, bytes)) {
      return Status::Corruption("field " + std::to_string(i) + " lies outside the field index");
    }
    if (entry.strings_bytes > 0) {
      // The fixed-size parts of the string index must fit in what the entry claims.
      uint64_t head[2];
      if (entry.strings_bytes < sizeof(head)) return Status::Corruption("field " + std::to_string(i) + " too short");
      std::memcpy(head, data + entry.strings_offset, sizeof(head));
      const uint64_t values = head[0], postings = head[1];
      if (values > entry.strings_bytes / 16 || postings > entry.strings_bytes / 4 ||
          16 + 16 * (values + 1) + 4 * postings > entry.strings_bytes) {
        return Status::Corruption("field " + std::to_string(i) + " has inconsistent string counts");
      }
    }
    if (entry.numbers_bytes > 0) {
      uint64_t count = 0;
      if (entry.numbers_bytes < 8) return Status::Corruption("field " + std::to_string(i) + " too short");
      std::memcpy(&count, data + entry.numbers_offset, 8);
      if (count > entry.numbers_bytes / 12 || 8 + 12 * count > entry.numbers_bytes) {
        return Status::Corruption("field " + std::to_string(i) + " has an inconsistent number count");
      }
    }
  }
  return index;
}

std::string_view FieldIndex::name(size_t field) const {
  const format::FieldEntry& entry = entries_[field];
  return {reinterpret_cast<const char*>(data_ + entry.name_offset), entry.name_bytes};
}

ptrdiff_t FieldIndex::find(std::string_view wanted) const {
  for (size_t i = 0; i < field_count_; ++i) {
    if (name(i) == wanted) return static_cast<ptrdiff_t>(i);
  }
  return -1;
}

FieldIndex::StringPart FieldIndex::strings(size_t field) const {
  const format::FieldEntry& entry = entries_[field];
  StringPart part;
  if (entry.strings_bytes == 0) return part;
  const std::byte* base = data_ + entry.strings_offset;
  std::memcpy(&part.value_count, base, 8);
  std::memcpy(&part.posting_count, base + 8, 8);
  part.value_offsets = reinterpret_cast<const uint64_t*>(base + 16);
  part.posting_starts = part.value_offsets + part.value_count + 1;
  part.postings = reinterpret_cast<const uint32_t*>(part.posting_starts + part.value_count + 1);
  const uint64_t bytes_at = (16 + 16 * (part.value_count + 1) + 4 * part.posting_count + 7) & ~uint64_t{7};
  part.bytes = reinterpret_cast<const char*>(base) + std::min(bytes_at, entry.strings_bytes);
  part.byte_count = entry.strings_bytes - std::min(bytes_at, entry.strings_bytes);
  return part;
}

size_t FieldIndex::string_value_count(size_t field) const { return strings(field).value_count; }

std::string_view FieldIndex::string_value(size_t field, size_t value) const {
  const StringPart part = strings(field);
  const uint64_t begin = std::min(part.value_offsets[value], part.byte_count);
  const uint64_t end = std::min(std::max(part.value_offsets[value + 1], begin), part.byte_count);
  return {part.bytes + begin, static_cast<size_t>(end - begin)};
}

std::span<const uint32_t> FieldIndex::postings_at(size_t field, size_t value) const {
  const StringPart part = strings(field);
  const uint64_t begin = std::min(part.posting_starts[value], part.posting_count);
  const uint64_t end = std::min(std::max(part.posting_starts[value + 1], begin), part.posting_count);
  return {part.postings + begin, static_cast<size_t>(end - begin)};
}

std::span<const uint32_t> FieldIndex::postings(size_t field, std::string_view value) const {
  // Binary search over the sorted distinct values.
  size_t low = 0, high = string_value_count(field);
  while (low < high) {
    const size_t middle = low + (high - low) / 2;
    const std::string_view probe = string_value(field, middle);
    if (probe == value) return postings_at(field, middle);
    if (probe < value) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return {};
}

FieldIndex::NumberRun FieldIndex::numbers(size_t field) const {
  const format::FieldEntry& entry = entries_[field];
  if (entry.numbers_bytes == 0) return {};
  const std::byte* base = data_ + entry.numbers_offset;
  uint64_t count = 0;
  std::memcpy(&count, base, 8);
  const auto* values = reinterpret_cast<const double*>(base + 8);
  const auto* nodes = reinterpret_cast<const uint32_t*>(values + count);
  return {{values, static_cast<size_t>(count)}, {nodes, static_cast<size_t>(count)}};
}

}  // namespace vs
