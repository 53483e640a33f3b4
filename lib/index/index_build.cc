#include "index/index_build.h"

#include <regex>
#include <unordered_set>

#include "format/field_index_writer.h"
#include "format/manifest.h"
#include "format/shard_writer.h"
#include "util/dir_lock.h"
#include "util/hash.h"

namespace vs {
namespace {

// Everything one shard needs before its graph is built.
struct ShardInput {
  std::vector<float> vectors;
  std::vector<std::string> ids;
  std::vector<std::string> metas;
};

Expected<uint64_t> next_generation(const std::string& dir) {
  Env& env = Env::posix();
  if (!env.file_exists(dir + "/" + kManifestName)) return uint64_t{1};
  auto previous = read_manifest(dir);
  if (!previous.ok()) return previous.status();
  return previous->generation + 1;
}

// Removes shard files that the new manifest does not name: the previous
// generation's, and any a crashed build left behind.
Status remove_unlisted_shards(Env& env, const std::string& dir, const Manifest& manifest) {
  static const std::regex shard_name(R"(shard-\d{4,}-g\d{6,}\.vsi)");
  auto names = env.list_dir(dir);
  if (!names.ok()) return names.status();
  std::unordered_set<std::string> keep;
  for (const ManifestShard& s : manifest.shards) keep.insert(s.file);
  for (const std::string& name : *names) {
    if (std::regex_match(name, shard_name) && keep.count(name) == 0) {
      VS_RETURN_IF_ERROR(env.remove_file(dir + "/" + name));
    }
  }
  return env.sync_dir(dir);
}

}  // namespace

Expected<IndexBuildSummary> build_index(Env& env, const IndexBuildOptions& options, const NextBatch& next_batch,
                                        const std::function<uint32_t()>& dim_of_source,
                                        const std::function<Metric()>& metric_of_source,
                                        const BuildObserver& observer) {
  if (options.shards < 1 || options.shards > 9999) return Status::Usage("--shards must be between 1 and 9999");
  if (options.out_dir.empty()) return Status::Usage("no output directory given (-o DIR)");
  if (!options.index_fields_off) VS_RETURN_IF_ERROR(check_index_field_names(options.index_fields));
  VS_RETURN_IF_ERROR(env.create_dir(options.out_dir));
  // Held until we return: a second build of the same directory would sweep our
  // temporaries and remove our shards as "unlisted" (it fails at once instead).
  auto lock = DirLock::try_lock(options.out_dir);
  if (!lock.ok()) return lock.status();
  auto swept = sweep_temporaries(env, options.out_dir);
  if (!swept.ok()) return swept.status();
  auto generation = next_generation(options.out_dir);
  if (!generation.ok()) return generation.status();

  std::vector<ShardInput> inputs(options.shards);
  std::vector<std::unordered_set<std::string>> seen(options.shards);
  std::vector<Record> batch;
  uint32_t dim = 0;
  uint64_t records = 0;
  for (;;) {
    auto more = next_batch(batch);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (dim == 0 && !batch.empty()) dim = dim_of_source();
    for (Record& r : batch) {
      if (r.vec.size() != dim) return Status::Internal("record '" + r.id + "' has the wrong dimension");
      uint32_t shard = shard_of(r.id, options.shards);
      if (!seen[shard].insert(r.id).second) return Status::BadData("duplicate id '" + r.id + "'");
      ShardInput& in = inputs[shard];
      in.vectors.insert(in.vectors.end(), r.vec.begin(), r.vec.end());
      in.ids.push_back(std::move(r.id));
      in.metas.push_back(std::move(r.meta));
    }
    records += batch.size();
    if (observer) observer("reading", records, 0);
  }
  if (records == 0) return Status::BadData("no records in the input");
  seen.clear();
  const Metric metric = metric_of_source();

  FieldSchema schema;
  if (!options.index_fields_off) {
    FieldSchemaBuilder fields(options.index_fields);
    for (const ShardInput& in : inputs) {
      for (size_t i = 0; i < in.metas.size(); ++i) {
        Status status = fields.add(in.metas[i]);
        if (!status.ok()) return std::move(status).with_context("record '" + in.ids[i] + "'");
      }
    }
    auto finished = fields.finish();
    if (!finished.ok()) return finished.status();
    schema = std::move(finished).value();
  }

  Manifest manifest;
  manifest.generation = *generation;
  manifest.dim = dim;
  manifest.metric = metric;
  manifest.m = options.hnsw.m;
  manifest.ef_construction = options.hnsw.ef_construction;
  manifest.sq8 = options.hnsw.sq8;
  manifest.count = records;
  for (uint32_t i = 0; i < options.shards; ++i) {
    ShardInput& in = inputs[i];
    const std::string stage = "building shard " + std::to_string(i + 1) + "/" + std::to_string(options.shards);
    if (observer) observer(stage, 0, in.ids.size());
    struct ProgressTarget {
      const BuildObserver* observer;
      const std::string* stage;
    } target{&observer, &stage};
    BuildProgress on_progress = [](void* user, uint64_t done, uint64_t total) {
      auto* t = static_cast<ProgressTarget*>(user);
      if (*t->observer) (*t->observer)(*t->stage, done, total);
    };
    auto graph = build_hnsw(in.vectors, dim, metric, options.hnsw, on_progress, &target);
    if (!graph.ok()) return graph.status();
    in.vectors = {};  // the graph holds its own copy, laid out for search
    const std::string name = shard_file_name(i, *generation);
    auto field_index = encode_field_index(schema, in.metas);
    if (!field_index.ok()) return field_index.status();
    auto written = write_shard(env, options.out_dir + "/" + name, *graph, in.ids, in.metas, *field_index);
    if (!written.ok()) return written.status();
    ManifestShard entry;
    entry.file = name;
    entry.count = in.ids.size();
    entry.header_checksum = written->header_checksum;
    entry.bytes = written->bytes;
    in = {};
    manifest.shards.push_back(std::move(entry));
  }
  VS_RETURN_IF_ERROR(write_manifest(env, options.out_dir, manifest));
  VS_RETURN_IF_ERROR(remove_unlisted_shards(env, options.out_dir, manifest));

  IndexBuildSummary summary;
  summary.records = records;
  summary.shards = options.shards;
  summary.generation = *generation;
  summary.dim = dim;
  summary.metric = metric;
  summary.fields = schema.names;
  return summary;
}

}  // namespace vs
