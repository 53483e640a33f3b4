// MappedFile: a read-only memory mapping of a whole file, released on destruction.
//
// Opening costs O(1) whatever the file's size: pages come in on first touch.
// Movable, not copyable. The bytes stay valid while the MappedFile lives (the
// mapping survives the file being renamed over or unlinked). Thread-safe for
// concurrent reads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vs {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Maps `path`; an empty file maps to size() == 0. Errors name the path.
  static Expected<MappedFile> open(const std::string& path);

  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  std::string_view bytes() const { return {reinterpret_cast<const char*>(data_), size_}; }

 private:
  void release();
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

}  // namespace vs
