// vs-ingest: JSON Lines (plain or zstd) → validated, normalised record stream
// or JSONL. Flags and output plumbing only; the work is lib/ingest/.
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "cli/tool.h"
#include "core/metric.h"
#include "ingest/ingest_pipeline.h"
#include "util/env.h"
#include "util/output.h"

namespace {

constexpr std::string_view kProg = "vs-ingest";

struct Flags {
  std::vector<std::string> inputs;
  std::string id_field = "id";
  std::string vec_field = "vec";
  std::string metric = "cosine";
  uint32_t dim = 0;
  std::string format = "binary";
  bool compress = false;
  std::string output = "-";
  size_t batch = 1024;
  unsigned threads = 0;
  bool skip_invalid = false;
  std::string rejects;
  bool quiet = false;
  bool progress = false;
};

// Prints a progress line at most once a second.
class ProgressLine {
 public:
  explicit ProgressLine(bool wanted) : wanted_(wanted) {}
  void update(const vs::IngestCounts& counts) {
    if (!wanted_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    vs::cli::note(kProg, std::to_string(counts.records) + " records, " + std::to_string(counts.rejected) +
                             " rejected so far");
  }

 private:
  bool wanted_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

vs::Status run(const Flags& flags) {
  vs::IngestJob job;
  job.inputs = flags.inputs;
  job.options.id_field = flags.id_field;
  job.options.vec_field = flags.vec_field;
  job.options.metric = *vs::parse_metric(flags.metric);
  job.options.dim = flags.dim;
  job.options.skip_invalid = flags.skip_invalid;
  job.pipeline.threads = flags.threads;
  job.format = flags.format == "jsonl" ? vs::OutputFormat::kJsonl : vs::OutputFormat::kRecordStream;
  job.compress = flags.compress;
  job.batch_records = flags.batch;

  const bool to_stdout = flags.output == "-";
  if (to_stdout && job.format == vs::OutputFormat::kRecordStream && ::isatty(STDOUT_FILENO) == 1) {
    return vs::Status::Usage("refusing to write binary to a terminal; redirect or use --format jsonl");
  }

  ProgressLine progress(flags.progress && !flags.quiet);
  vs::WritableFile* rejects_file = nullptr;
  std::string reject_line;
  vs::IngestHooks hooks;
  hooks.on_progress = [&](const vs::IngestCounts& counts) { progress.update(counts); };
  hooks.on_reject = [&](const vs::Status& error) {
    if (!flags.quiet) vs::cli::note(kProg, error.message());
  };
  hooks.write_reject = [&](std::string_view line) -> vs::Status {
    if (rejects_file == nullptr) return vs::Status::Ok();
    reject_line.assign(line);
    reject_line.push_back('\n');
    return rejects_file->append(reject_line);
  };

  vs::Expected<vs::IngestSummary> summary = vs::Status::Internal("ingest did not run");
  auto ingest = [&]() -> vs::Status {
    if (to_stdout) {
      vs::OutputStream out(STDOUT_FILENO, "stdout");
      summary = vs::ingest_to(
          job, [&](std::string_view bytes) { return out.write(bytes); }, hooks);
      VS_RETURN_IF_ERROR(summary.status());
      return out.flush();
    }
    return vs::write_file_atomically(vs::Env::posix(), flags.output, [&](vs::WritableFile& file) {
      summary = vs::ingest_to(
          job, [&](std::string_view bytes) { return file.append(bytes); }, hooks);
      return summary.status();
    });
  };
  vs::Status status;
  if (flags.rejects.empty()) {
    status = ingest();
  } else {
    status = vs::write_file_atomically(vs::Env::posix(), flags.rejects, [&](vs::WritableFile& file) {
      rejects_file = &file;
      return ingest();
    });
  }
  VS_RETURN_IF_ERROR(std::move(status));

  // The summary goes out when someone is watching (a terminal, --progress) or
  // when it carries news a script should see: lines were rejected.
  const vs::IngestCounts& counts = summary->counts;
  if (!flags.quiet && (counts.rejected > 0 || vs::cli::progress_wanted(flags.progress, flags.quiet))) {
    vs::cli::note(kProg, std::to_string(counts.records) + " records, " + std::to_string(counts.rejected) +
                             " rejected, dim " + std::to_string(summary->dim) + ", " +
                             std::string(vs::metric_name(job.options.metric)));
  }
  return vs::Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Validate JSON Lines documents, L2-normalise them for cosine, and write a binary record "
      "stream (or normalised JSON Lines) for vs-build.",
      std::string(kProg)};
  vs::cli::add_standard_flags(app, kProg);
  Flags flags;
  app.add_option("FILE", flags.inputs, "JSON Lines inputs, plain or zstd-compressed; none or - reads stdin");
  app.add_option("--id-field", flags.id_field, "Name of the id field (string or integer)")
      ->capture_default_str();
  app.add_option("--vec-field", flags.vec_field, "Name of the vector field (array of numbers)")
      ->capture_default_str();
  app.add_option("--metric", flags.metric, "Distance metric: cosine normalises vectors to unit length")
      ->check(CLI::IsMember({"cosine", "l2", "ip"}))
      ->capture_default_str();
  app.add_option("--dim", flags.dim, "Required vector dimension (0: the first record fixes it)")
      ->capture_default_str();
  app.add_option("--format", flags.format, "Output format: binary record stream or normalised JSON Lines")
      ->check(CLI::IsMember({"binary", "jsonl"}))
      ->capture_default_str();
  app.add_flag("--compress", flags.compress, "zstd-compress record stream batches");
  app.add_option("-o,--output", flags.output, "Output file, replaced atomically (- is stdout)")
      ->capture_default_str();
  app.add_option("--batch", flags.batch, "Records per record stream batch")
      ->check(CLI::Range(size_t{1}, size_t{1} << 24))
      ->capture_default_str();
  app.add_option("--threads", flags.threads, "Parser threads (0: all cores)")->capture_default_str();
  auto* skip =
      app.add_flag("--skip-invalid", flags.skip_invalid,
                   "Skip bad lines (reported on stderr and counted) instead of stopping at the first");
  app.add_option("--rejects", flags.rejects, "With --skip-invalid: write the rejected lines to this file")
      ->needs(skip);
  app.add_flag("-q,--quiet", flags.quiet, "No progress, summary or per-line reject messages");
  app.add_flag("--progress", flags.progress, "Progress and summary on stderr even when it is not a terminal");
  return vs::cli::run_tool(app, argc, argv, [&] { return run(flags); });
}
