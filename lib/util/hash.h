// Stable hashing: checksums of file sections and the id → shard partition.
//
// Both are XXH64 with seed 0 and are part of the on-disk formats: changing
// them changes which shard an id lands in and invalidates every checksum.
#pragma once

#include <cstdint>
#include <string_view>

namespace vs {

uint64_t checksum64(const void* data, size_t bytes);
inline uint64_t checksum64(std::string_view bytes) { return checksum64(bytes.data(), bytes.size()); }

// The shard in [0, shard_count) that a document id belongs to.
uint32_t shard_of(std::string_view id, uint32_t shard_count);

}  // namespace vs
