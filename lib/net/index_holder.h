// IndexHolder: the index vs-serve answers from, swappable while it serves.
//
// An Index is one immutable load of the shard arguments: the mapped ShardSet,
// the manifest generation it came from, and per-shard facts for /info. Each
// request takes a shared_ptr to the current Index (current()) and searches it
// to the end; reload() opens and verifies a complete new Index first and only
// then swaps the pointer, so requests in flight finish on the old mapping,
// which is unmapped when the last of them lets go. A reload that fails leaves
// the current Index in place and says why.
//
// Thread-safety: current() and reload() may be called from any thread; the
// swap is a pointer exchange under a mutex held for nanoseconds (never during
// I/O). Reloads are serialised among themselves.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "query/shard_set.h"

namespace vs::net {

struct ShardInfo {
  std::string path;
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t header_checksum = 0;
};

struct Index {
  ShardSet shards;
  uint64_t generation = 0;  // the largest manifest generation among the directories; 0 for .vsi files only
  uint64_t count = 0;       // documents over all shards
  std::vector<ShardInfo> shard_info;
};

// Opens `args` (index directories and .vsi files) as one Index. A directory
// contributes the shards its manifest names; every shard is verified (all
// section checksums) and checked against the manifest's count and header
// checksum. Errors: those of ShardSet::open and read_manifest, Corruption
// when a shard does not match its manifest.
Expected<std::shared_ptr<const Index>> load_index(const std::vector<std::string>& args);

// The generation in DIR/manifest.json, or the manifest's error.
Expected<uint64_t> manifest_generation(const std::string& dir);

class IndexHolder {
 public:
  IndexHolder(std::vector<std::string> args, std::shared_ptr<const Index> initial)
      : args_(std::move(args)), current_(std::move(initial)) {}

  std::shared_ptr<const Index> current() const;

  // Loads the arguments again and swaps the new Index in; on error the
  // current Index stays. Returns the Index now serving.
  Expected<std::shared_ptr<const Index>> reload();

  // The index directories among the arguments (what --watch polls).
  std::vector<std::string> directories() const;

  uint64_t reloads() const;

 private:
  const std::vector<std::string> args_;
  std::mutex reload_mutex_;  // one reload at a time (SIGHUP and --watch may race)
  mutable std::mutex mutex_;  // guards current_ and reloads_
  std::shared_ptr<const Index> current_;
  uint64_t reloads_ = 0;
};

}  // namespace vs::net
