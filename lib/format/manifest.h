// Manifest: the index directory's table of contents, manifest.json.
//
// An index directory is exactly what its manifest names: shard files, their
// counts and checksums, the dim, metric and build parameters, and a generation
// number that grows by one on each rebuild. vs-build writes the manifest last
// and atomically, so readers see either the previous generation or the new
// one. Shard file names carry the generation ("shard-0000-g000002.vsi") so the
// new files never overwrite the ones the previous manifest names.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/metric.h"
#include "core/status.h"
#include "util/env.h"

namespace vs {

struct ManifestShard {
  std::string file;  // name relative to the index directory
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t header_checksum = 0;  // the shard header's own checksum, identifies its contents
};

struct Manifest {
  uint32_t format_version = 1;
  uint64_t generation = 0;
  uint32_t dim = 0;
  Metric metric = Metric::kL2;
  uint32_t m = 0;
  uint32_t ef_construction = 0;
  bool sq8 = false;  // shards traverse 8-bit codes ("quantization": "sq8")
  uint64_t count = 0;
  std::vector<ManifestShard> shards;
};

inline constexpr const char* kManifestName = "manifest.json";

// Reads DIR/manifest.json. IoError if missing, Corruption if malformed.
Expected<Manifest> read_manifest(const std::string& dir);

// Replaces DIR/manifest.json atomically.
Status write_manifest(Env& env, const std::string& dir, const Manifest& manifest);

// The shard file name for shard `index` of `generation`.
std::string shard_file_name(uint32_t index, uint64_t generation);

// Expands command-line shard arguments: a directory becomes the paths its
// manifest names, a file stays itself. Errors name the argument.
Expected<std::vector<std::string>> resolve_shard_paths(const std::vector<std::string>& args);

}  // namespace vs
