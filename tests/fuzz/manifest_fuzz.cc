// Fuzz target: the manifest loader (lib/format/manifest.h).
//
// read_manifest() takes an index directory, so the bytes are written to
// manifest.json in a private temporary directory. An accepted manifest must
// be self-consistent (shard counts add up, every file name stays inside the
// directory), since vs-query opens what it names.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "format/manifest.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = [] {
    char pattern[] = "/tmp/vs-fuzz-manifest-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) std::abort();
    return std::string(pattern);
  }();
  {
    std::ofstream out(dir + "/manifest.json", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto manifest = vs::read_manifest(dir);
  if (!manifest.ok()) return 0;
  uint64_t total = 0;
  for (const vs::ManifestShard& shard : manifest->shards) {
    if (shard.file.empty() || shard.file.find('/') != std::string::npos || shard.file == "..") std::abort();
    total += shard.count;
  }
  if (total != manifest->count || manifest->shards.empty() || manifest->dim == 0) std::abort();
  return 0;
}
