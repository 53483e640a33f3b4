#include "net/index_holder.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "format/manifest.h"

namespace vs::net {

namespace {

bool is_directory(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

std::string hex16(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

// What the manifest promised about a shard, to check the opened file against.
struct Expectation {
  bool from_manifest = false;
  ManifestShard shard;
};

}  // namespace

Expected<uint64_t> manifest_generation(const std::string& dir) {
  auto manifest = read_manifest(dir);
  if (!manifest.ok()) return manifest.status();
  return manifest->generation;
}

// Directories are expanded here rather than by ShardSet::open so that the
// generation and the file list come from the same read of the manifest: a
// rebuild landing between two reads could otherwise pair new files with an
// old generation.
Expected<std::shared_ptr<const Index>> load_index(const std::vector<std::string>& args) {
  std::vector<std::string> paths;
  std::vector<Expectation> expected;
  uint64_t generation = 0;
  for (const std::string& arg : args) {
    if (!is_directory(arg)) {
      paths.push_back(arg);
      expected.push_back({});
      continue;
    }
    auto manifest = read_manifest(arg);
    if (!manifest.ok()) return manifest.status();
    generation = std::max(generation, manifest->generation);
    std::string dir = arg;
    if (dir.back() != '/') dir += '/';
    for (const ManifestShard& shard : manifest->shards) {
      paths.push_back(dir + shard.file);
      expected.push_back({true, shard});
    }
  }
  auto shards = ShardSet::open(paths, /*verify=*/true);
  if (!shards.ok()) return shards.status();

  auto index = std::make_shared<Index>();
  index->generation = generation;
  for (size_t i = 0; i < shards->shard_count(); ++i) {
    const ShardReader& shard = shards->shard(i);
    ShardInfo info{shard.path(), shard.count(), shard.file_bytes(), shard.header().header_checksum};
    const Expectation& want = expected[i];
    if (want.from_manifest &&
        (want.shard.count != info.count || want.shard.header_checksum != info.header_checksum)) {
      return Status::Corruption("'" + info.path + "' does not match its manifest: it holds " +
                                std::to_string(info.count) + " documents with header checksum " +
                                hex16(info.header_checksum) + ", the manifest says " +
                                std::to_string(want.shard.count) + " and " + hex16(want.shard.header_checksum));
    }
    index->count += info.count;
    index->shard_info.push_back(std::move(info));
  }
  index->shards = std::move(shards).value();
  return std::shared_ptr<const Index>(std::move(index));
}

std::shared_ptr<const Index> IndexHolder::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

Expected<std::shared_ptr<const Index>> IndexHolder::reload() {
  std::lock_guard serial(reload_mutex_);
  auto fresh = load_index(args_);
  if (!fresh.ok()) return fresh.status();
  std::shared_ptr<const Index> previous;
  {
    std::lock_guard lock(mutex_);
    previous = std::exchange(current_, *fresh);
    ++reloads_;
  }
  // `previous` is released here, outside the lock: if no request holds it,
  // this is where the old shards are unmapped.
  return std::move(fresh).value();
}

std::vector<std::string> IndexHolder::directories() const {
  std::vector<std::string> dirs;
  for (const std::string& arg : args_) {
    if (is_directory(arg)) dirs.push_back(arg);
  }
  return dirs;
}

uint64_t IndexHolder::reloads() const {
  std::lock_guard lock(mutex_);
  return reloads_;
}

}  // namespace vs::net
