// ShardReader: opens a .vsi shard file through mmap and checks it, in O(1).
//
// open() maps the file and validates the header (magic, version, checksum,
// sizes), the section table (checksum, bounds, alignment) and the trailer (so
// a truncated file is detected), then exposes the graph for search with no
// parsing or copying. verify() additionally checksums every section: O(size).
// Errors: IoError when the file cannot be read, Corruption (naming the file
// and what failed) when it is not a valid shard. Immutable after open:
// thread-safe for any number of concurrent readers.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "format/field_index.h"
#include "format/shard_layout.h"
#include "index/graph.h"
#include "util/mapped_file.h"

namespace vs {

class ShardReader {
 public:
  static Expected<std::unique_ptr<ShardReader>> open(const std::string& path);

  // Checks every section's checksum; Corruption naming the first bad section.
  Status verify() const;

  const GraphView& graph() const { return graph_; }
  uint32_t dim() const { return graph_.dim; }
  Metric metric() const { return graph_.metric; }
  uint32_t count() const { return graph_.count; }
  const format::ShardHeader& header() const { return *header_; }
  const std::string& path() const { return file_.path(); }
  uint64_t file_bytes() const { return file_.size(); }

  // The document id and raw JSON metadata of `node` (< count()).
  std::string_view id(uint32_t node) const;
  std::string_view meta(uint32_t node) const;
  // The metadata field indexes filters use (none in a shard written before them).
  const FieldIndex& fields() const { return fields_; }

 private:
  ShardReader() = default;
  Status check_layout();
  MappedFile file_;
  const format::ShardHeader* header_ = nullptr;
  const format::SectionEntry* sections_ = nullptr;
  GraphView graph_;
  const uint64_t* id_offsets_ = nullptr;
  const char* id_bytes_ = nullptr;
  const uint64_t* meta_offsets_ = nullptr;
  const char* meta_bytes_ = nullptr;
  FieldIndex fields_;
};

}  // namespace vs
