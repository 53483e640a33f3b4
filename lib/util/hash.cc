#include "util/hash.h"

#include <xxhash.h>

namespace vs {

uint64_t checksum64(const void* data, size_t bytes) { return XXH64(data, bytes, 0); }

uint32_t shard_of(std::string_view id, uint32_t shard_count) {
  return static_cast<uint32_t>(XXH64(id.data(), id.size(), 0) % shard_count);
}

}  // namespace vs
