// Software prefetch of a node's vector or codes, shared by search and build.
//
// Graph walks are bound by fetching vectors from memory, so the start of the
// next node's vector is requested while the current one is compared. The cap
// matters: prefetching a whole 3 KiB float vector fills the core's line-fill
// buffers and stalls (perf showed 65% of samples on such a loop); past the
// first lines the hardware's stream prefetcher keeps up.
#pragma once

#include <algorithm>
#include <cstddef>

namespace vs {

inline constexpr size_t kMaxPrefetchLines = 8;

// The number of lines to prefetch for an object of `bytes`.
inline size_t prefetch_lines_for(size_t bytes) { return std::min(kMaxPrefetchLines, (bytes + 63) / 64); }

inline void prefetch_lines(const void* data, size_t lines) {
  const char* p = static_cast<const char*>(data);
  for (size_t i = 0; i < lines; ++i) __builtin_prefetch(p + 64 * i);
}

}  // namespace vs
