// vs-query: answers nearest-neighbour queries against local shards.
// Flags in, lib/query out; see man/vs-query.1.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/tool.h"
#include "query/query.h"
#include "query/query_runner.h"
#include "query/result_writer.h"
#include "query/shard_set.h"
#include "util/output.h"

namespace {

constexpr std::string_view kProg = "vs-query";

// 64 reaches recall@10 ≥ 0.95 on Fashion-MNIST-like data with the vs-build
// defaults (M = 16, ef_construction = 200): 0.9997 on 20k training images in
// 2 shards against 300 test images, where 16 gives 0.992 and 128 no more.
constexpr size_t kDefaultEf = 64;

struct Flags {
  size_t k = 10;
  size_t ef = kDefaultEf;
  bool exact = false;
  std::string vector;
  size_t threads = 0;
  size_t batch = 64;
  bool skip_invalid = false;
  std::string rejects;
  std::string queries = "-";
  bool verify = false;
  std::vector<std::string> shards;
};

// The rejects file: every skipped query line, verbatim, for a later re-run.
class RejectsFile {
 public:
  static vs::Expected<std::unique_ptr<RejectsFile>> open(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return vs::Status::IoError("cannot open '" + path + "': " + std::strerror(errno));
    return std::unique_ptr<RejectsFile>(new RejectsFile(fd, path));
  }
  ~RejectsFile() {
    stream_.reset();
    ::close(fd_);
  }
  vs::OutputStream& stream() { return *stream_; }

 private:
  RejectsFile(int fd, const std::string& path) : fd_(fd), stream_(std::make_unique<vs::OutputStream>(fd, path)) {}
  int fd_;
  std::unique_ptr<vs::OutputStream> stream_;
};

vs::Status answer_one(const vs::ShardSet& shards, const Flags& flags, vs::OutputStream& out) {
  vs::Query query;
  VS_RETURN_IF_ERROR(vs::parse_vector_text(flags.vector, shards.dim(), shards.metric(), query));
  vs::SearchScratch scratch;
  std::vector<vs::Hit> hits;
  shards.search(query.vector, vs::SearchParams{.k = flags.k, .ef = flags.ef, .exact = flags.exact}, scratch, hits);
  vs::ResultWriter writer(out);
  VS_RETURN_IF_ERROR(writer.write(query.id, hits));
  return out.flush();
}

vs::Status run(const Flags& flags) {
  auto shards = vs::ShardSet::open(flags.shards, flags.verify);
  if (!shards.ok()) return shards.status();
  vs::OutputStream out(STDOUT_FILENO, "stdout");
  if (!flags.vector.empty()) return answer_one(*shards, flags, out);

  std::unique_ptr<RejectsFile> rejects;
  if (!flags.rejects.empty()) {
    auto opened = RejectsFile::open(flags.rejects);
    if (!opened.ok()) return opened.status();
    rejects = std::move(opened).value();
  }
  auto on_reject = [&](const vs::Status& error, std::string_view line) -> vs::Status {
    vs::cli::note(kProg, error.message());
    if (!rejects) return vs::Status::Ok();
    VS_RETURN_IF_ERROR(rejects->stream().write(line));
    return rejects->stream().write("\n");
  };
  vs::QueryOptions options{.k = flags.k,
                           .ef = flags.ef,
                           .exact = flags.exact,
                           .batch_size = flags.batch,
                           .threads = flags.threads,
                           .skip_invalid = flags.skip_invalid};
  auto stats = vs::run_queries(*shards, flags.queries, out, options, on_reject);
  if (!stats.ok()) return stats.status();
  if (rejects) VS_RETURN_IF_ERROR(rejects->stream().flush());
  if (stats->rejected > 0) {
    vs::cli::note(kProg, "skipped " + std::to_string(stats->rejected) + " invalid quer" +
                             (stats->rejected == 1 ? "y" : "ies"));
  }
  return vs::Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Answer nearest-neighbour queries (JSON Lines) against local vs shards."};
  app.name(std::string(kProg));
  vs::cli::add_standard_flags(app, kProg);
  Flags flags;
  app.add_option("-k", flags.k, "Hits per query when the query gives no k")
      ->check(CLI::Range(size_t{1}, size_t{vs::kMaxK}))
      ->capture_default_str();
  app.add_option("--ef", flags.ef, "HNSW candidate list size when the query gives no ef (raised to k)")
      ->check(CLI::Range(size_t{1}, size_t{vs::kMaxEf}))
      ->capture_default_str();
  app.add_flag("--exact", flags.exact, "Brute-force search instead of HNSW (exact, slow)");
  app.add_option("--vector", flags.vector, "Answer one query \"x,y,...\" (id \"vector\") and ignore stdin");
  app.add_option("--threads", flags.threads, "Worker threads (0: all cores)")->capture_default_str();
  app.add_option("--batch", flags.batch, "Queries read per pipeline batch")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20))
      ->capture_default_str();
  auto* skip = app.add_flag("--skip-invalid", flags.skip_invalid,
                            "Report and skip invalid query lines instead of stopping at the first");
  app.add_option("--rejects", flags.rejects, "With --skip-invalid: also write the skipped lines to FILE")
      ->needs(skip);
  app.add_option("-q,--queries", flags.queries, "Query JSON Lines file ('-': stdin)")->capture_default_str();
  app.add_flag("--verify", flags.verify, "Check every section checksum of every shard before answering");
  app.add_option("SHARD", flags.shards, "Index directories (manifest.json inside) or .vsi shard files")
      ->required();
  return vs::cli::run_tool(app, argc, argv, [&] { return run(flags); });
}
