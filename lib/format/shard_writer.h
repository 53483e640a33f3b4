// Writes a built graph plus ids and metadata as one .vsi shard file, atomically.
//
// The file is written through Env (temporary name, fsync, rename, directory
// fsync): a crash leaves either no file or a complete one. `ids` and `metas`
// are indexed by node number and must have graph.count entries. Returns the
// header checksum that identifies the file's contents (kept in the manifest)
// and the file's size.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "index/hnsw_builder.h"
#include "util/env.h"

namespace vs {

struct ShardFileInfo {
  uint64_t header_checksum = 0;
  uint64_t bytes = 0;
};

Expected<ShardFileInfo> write_shard(Env& env, const std::string& path, const BuiltGraph& graph,
                                    const std::vector<std::string>& ids, const std::vector<std::string>& metas,
                                    std::string_view field_index);

}  // namespace vs
