// vs-build: record stream (or JSONL) in, an index directory of HNSW shards out.
#include <fcntl.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "cli/tool.h"
#include "index/index_build.h"
#include "ingest/record_source.h"
#include "util/output.h"

namespace {

struct Flags {
  std::string input = "-";
  std::string out_dir;
  uint32_t shards = 1;
  uint32_t m = 16;
  uint32_t ef_construction = 200;
  uint64_t seed = 100;
  std::string quantize = "none";
  unsigned threads = 0;
  std::string metric = "cosine";
  std::string id_field = "id";
  std::string vec_field = "vec";
  uint32_t dim = 0;
  bool skip_invalid = false;
  std::string rejects;
  bool progress = false;
  bool quiet = false;
  std::vector<std::string> index_fields;
  bool no_index_fields = false;
};

constexpr const char* kProg = "vs-build";

vs::Status run(const Flags& flags) {
  auto metric = vs::parse_metric(flags.metric);
  if (!metric) return vs::Status::Usage("--metric must be cosine, l2 or ip");
  if (!flags.rejects.empty() && !flags.skip_invalid) return vs::Status::Usage("--rejects needs --skip-invalid");

  std::unique_ptr<vs::OutputStream> rejects;
  if (!flags.rejects.empty()) {
    int fd = ::open(flags.rejects.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return vs::Status::IoError("cannot create '" + flags.rejects + "'");
    rejects = std::make_unique<vs::OutputStream>(fd, flags.rejects);
  }
  vs::IngestOptions ingest;
  ingest.id_field = flags.id_field;
  ingest.vec_field = flags.vec_field;
  ingest.metric = *metric;
  ingest.dim = flags.dim;
  ingest.skip_invalid = flags.skip_invalid;
  vs::IngestHooks hooks;
  hooks.on_reject = [](const vs::Status& error) { vs::cli::note(kProg, error.message()); };
  hooks.write_reject = [&](std::string_view line) -> vs::Status {
    if (!rejects) return vs::Status::Ok();
    VS_RETURN_IF_ERROR(rejects->write(line));
    return rejects->write("\n");
  };
  vs::PipelineOptions pipeline;
  pipeline.threads = flags.threads;
  auto source = vs::open_record_source(flags.input, ingest, hooks, pipeline);
  if (!source.ok()) return source.status();

  const bool show_progress = vs::cli::progress_wanted(flags.progress, flags.quiet);
  vs::BuildObserver observer;
  if (show_progress) {
    observer = [](const std::string& stage, uint64_t done, uint64_t total) {
      if (total > 0) {
        std::fprintf(stderr, "\r%s: %s: %llu/%llu  ", kProg, stage.c_str(), static_cast<unsigned long long>(done),
                     static_cast<unsigned long long>(total));
      } else {
        std::fprintf(stderr, "\r%s: %s: %llu records  ", kProg, stage.c_str(), static_cast<unsigned long long>(done));
      }
    };
  }

  vs::IndexBuildOptions options;
  options.out_dir = flags.out_dir;
  options.shards = flags.shards;
  options.hnsw = {flags.m, flags.ef_construction, flags.seed, flags.quantize == "sq8"};
  options.index_fields = flags.index_fields;
  options.index_fields_off = flags.no_index_fields;
  const auto start = std::chrono::steady_clock::now();
  auto summary = vs::build_index(
      vs::Env::posix(), options, [&](std::vector<vs::Record>& out) { return (*source)->next_batch(out); },
      [&] { return (*source)->dim(); }, [&] { return (*source)->metric(); }, observer);
  if (show_progress) std::fputc('\n', stderr);
  if (rejects) VS_RETURN_IF_ERROR(rejects->flush());
  if (!summary.ok()) return summary.status();

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!flags.quiet) {
    char line[256];
    std::snprintf(line, sizeof(line), "%llu records, %llu rejected, %u shards, dim %u, %s, generation %llu, %.1f s",
                  static_cast<unsigned long long>(summary->records),
                  static_cast<unsigned long long>((*source)->counts().rejected), summary->shards, summary->dim,
                  std::string(vs::metric_name(summary->metric)).c_str(),
                  static_cast<unsigned long long>(summary->generation), seconds);
    std::string fields;
    for (const std::string& name : summary->fields) fields += (fields.empty() ? "" : ",") + name;
    vs::cli::note(kProg, std::string(line) + ", fields indexed: " + (fields.empty() ? "none" : fields));
  }
  return vs::Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Build an index directory of HNSW shards from a record stream or JSON Lines.", kProg};
  vs::cli::add_standard_flags(app, kProg);
  Flags flags;
  app.add_option("input", flags.input, "Record stream or JSONL (plain or .zst); - for stdin")->capture_default_str();
  app.add_option("-o,--output", flags.out_dir, "Index directory to create or replace")->required();
  app.add_option("--shards", flags.shards, "Number of shards (partitioned by a hash of the id)")
      ->capture_default_str()
      ->check(CLI::Range(1, 9999));
  app.add_option("-M,--m", flags.m, "Max links per node (2M on the base level)")
      ->capture_default_str()
      ->check(CLI::Range(2, 255));
  app.add_option("--ef-construction", flags.ef_construction, "Candidate list size while building")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--quantize", flags.quantize,
                 "none, or sq8: traverse 8-bit codes, rerank with the float vectors")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "sq8"}));
  app.add_option("--seed", flags.seed, "Seed for the level of each node")->capture_default_str();
  app.add_option("--threads", flags.threads, "Worker threads (0: all cores)")->capture_default_str();
  app.add_option("--metric", flags.metric, "For JSONL input: cosine, l2 or ip")->capture_default_str();
  app.add_option("--id-field", flags.id_field, "For JSONL input: the id field")->capture_default_str();
  app.add_option("--vec-field", flags.vec_field, "For JSONL input: the vector field")->capture_default_str();
  app.add_option("--dim", flags.dim, "Expected dimension (0: the first record decides)")->capture_default_str();
  app.add_flag("--skip-invalid", flags.skip_invalid, "For JSONL input: skip bad lines, report and count them");
  app.add_option("--rejects", flags.rejects, "With --skip-invalid: write each rejected line to FILE");
  auto* index_fields =
      app.add_option("--index-fields", flags.index_fields,
                     "Metadata fields to index for filters, e.g. category,year (default: every field holding "
                     "strings or numbers)")
          ->delimiter(',');
  app.add_flag("--no-index-fields", flags.no_index_fields, "Index no metadata fields (no filters)")
      ->excludes(index_fields);
  app.add_flag("--progress", flags.progress, "Show progress on stderr even when it is not a terminal");
  app.add_flag("-q,--quiet", flags.quiet, "No progress and no summary line");
  return vs::cli::run_tool(app, argc, argv, [&]() -> vs::Status {
    std::optional<tbb::global_control> limit;
    if (flags.threads > 0) limit.emplace(tbb::global_control::max_allowed_parallelism, flags.threads);
    return run(flags);
  });
}
