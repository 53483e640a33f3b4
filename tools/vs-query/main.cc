// vs-query: answers nearest-neighbour queries against local and remote shards.
// Flags in, lib/query out; see man/vs-query.1.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/tool.h"
#include "net/bearer_token.h"
#include "query/query.h"
#include "query/query_runner.h"
#include "query/remote_fanout.h"
#include "query/result_writer.h"
#include "query/shard_address.h"
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
  bool partial = false;
  bool stdio = false;
  size_t timeout_ms = 10000;
  std::string token_file;
  std::string cluster;
  std::string filter;
  bool with_meta = false;
  bool explain = false;
  std::vector<std::string> shards;
};

// Set when some results lack a failed shard's hits: main exits kExitPartial.
bool g_partial_results = false;

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

// --explain: one line per filtered query and local shard on stderr.
void explain_plan(std::string_view query_id, const vs::ShardReader& shard, const vs::FilterPlan& plan) {
  char share[32];
  std::snprintf(share, sizeof share, "%.2f%%", plan.count > 0 ? 100.0 * plan.allowed / plan.count : 0.0);
  std::string line = "explain: query '" + std::string(query_id) + "' shard '" + shard.path() + "': " +
                     std::to_string(plan.allowed) + " of " + std::to_string(plan.count) + " match (" + share +
                     "), plan " + std::string(vs::plan_name(plan.kind));
  if (plan.kind == vs::FilterPlan::Kind::kGraph) line += " with ef " + std::to_string(plan.ef);
  vs::cli::note(kProg, line);
}

// --vector: one query, searched shard by shard like a query line would be.
vs::Status answer_one(const vs::ShardSet& shards, const Flags& flags, const vs::QueryOptions& options,
                      vs::OutputStream& out) {
  vs::Query query;
  VS_RETURN_IF_ERROR(vs::parse_vector_text(flags.vector, shards.dim(), shards.metric(), query));
  query.filter = options.filter;
  query.include = options.include;
  vs::SearchScratch scratch;
  std::vector<vs::Hit> hits;
  const vs::SearchParams params{.k = flags.k,
                                .ef = flags.ef,
                                .exact = flags.exact,
                                .filter = &query.filter,
                                .with_meta = query.include != vs::Query::Include::kNone};
  for (size_t i = 0; i < shards.shard_count(); ++i) {
    shards.search_shard(i, query.vector, params, scratch, hits);
    if (options.explain && !query.filter.empty()) options.explain(query.id, shards.shard(i), scratch.plan);
  }
  vs::merge_top_k(hits, flags.k);
  vs::ResultWriter writer(out);
  VS_RETURN_IF_ERROR(writer.write(query.id, hits));
  return out.flush();
}

// --filter: parsed once, and checked against every local shard's field
// indexes (remote shards check it themselves).
vs::Status read_run_filter(const Flags& flags, const vs::ShardSet& local, vs::QueryOptions& options) {
  if (flags.filter.empty()) return vs::Status::Ok();
  auto filter = vs::parse_filter(flags.filter);
  // The lib's messages start "filter: "; here the flag names it.
  auto usage = [](const vs::Status& error) {
    std::string_view reason = error.message();
    if (reason.starts_with("filter: ")) reason.remove_prefix(8);
    return vs::Status::Usage("--filter: " + std::string(reason));
  };
  if (!filter.ok()) return usage(filter.status());
  vs::Status checked = local.check_filter(*filter);
  if (!checked.ok()) return usage(checked);
  options.filter = std::move(filter).value();
  return vs::Status::Ok();
}

// The shards named on the command line and in --cluster, split by kind.
vs::Expected<vs::ShardPlan> plan(const Flags& flags) {
  std::vector<vs::ShardReplicas> shards;
  for (const std::string& address : flags.shards) shards.push_back(vs::ShardReplicas{{address}});
  if (!flags.cluster.empty()) {
    auto listed = vs::load_cluster_file(flags.cluster);
    if (!listed.ok()) return listed.status();
    shards.insert(shards.end(), listed->begin(), listed->end());
  }
  if (shards.empty()) return vs::Status::Usage("no shards: give SHARD arguments or --cluster");
  return vs::plan_shards(shards);
}

vs::Expected<std::unique_ptr<vs::RemoteFanout>> open_remote(const Flags& flags, const vs::ShardPlan& shards) {
  if (shards.remote.empty()) return std::unique_ptr<vs::RemoteFanout>();
  if (flags.exact || !flags.vector.empty() || flags.stdio) {
    return vs::Status::Usage("--exact, --vector and --stdio need local shards only");
  }
  vs::RemoteOptions options;
  options.timeout_ms = flags.timeout_ms;
  if (!flags.token_file.empty()) {
    auto token = vs::net::read_token_file(flags.token_file);
    if (!token.ok()) return token.status();
    options.token = *token;
  }
  const char* ssh = std::getenv("VS_SSH");
  options.ssh_command = vs::split_command(ssh != nullptr ? ssh : "");
  if (const char* remote = std::getenv("VS_REMOTE_QUERY"); remote != nullptr && *remote != '\0') {
    options.remote_program = remote;
  }
  return vs::RemoteFanout::open(shards.remote, options, flags.partial);
}

// --stdio: the far end of an ssh:// shard. One greeting line with the dim and
// metric, then a result line per query line, each flushed as soon as it is
// ready (batches of one), so the caller never waits for our end of input.
vs::Status serve_stdio(const vs::ShardSet& shards, vs::QueryOptions options, vs::OutputStream& out) {
  VS_RETURN_IF_ERROR(out.write("{\"dim\":" + std::to_string(shards.dim()) + ",\"metric\":\"" +
                               std::string(vs::metric_name(shards.metric())) + "\"}\n"));
  VS_RETURN_IF_ERROR(out.flush());
  options.batch_size = 1;
  auto stats = vs::run_queries(shards, "-", out, options);
  return stats.status();
}

vs::Status run(const Flags& flags) {
  auto addresses = plan(flags);
  if (!addresses.ok()) return addresses.status();
  vs::ShardSet local;
  if (!addresses->local.empty() || addresses->remote.empty()) {
    auto opened = vs::ShardSet::open(addresses->local, flags.verify);
    if (!opened.ok()) return opened.status();
    local = std::move(opened).value();
  }
  auto remote = open_remote(flags, *addresses);
  if (!remote.ok()) return remote.status();
  if (*remote && local.shard_count() > 0) {
    VS_RETURN_IF_ERROR((*remote)->check_agrees(local.dim(), local.metric(), local.shard(0).path()));
  }
  vs::OutputStream out(STDOUT_FILENO, "stdout");
  vs::QueryOptions options{.k = flags.k,
                           .ef = flags.ef,
                           .exact = flags.exact,
                           .batch_size = flags.batch,
                           .threads = flags.threads,
                           .skip_invalid = flags.skip_invalid,
                           .partial = flags.partial};
  VS_RETURN_IF_ERROR(read_run_filter(flags, local, options));
  if (flags.with_meta) options.include = vs::Query::Include::kAll;
  if (flags.explain) options.explain = explain_plan;
  if (flags.stdio) return serve_stdio(local, options, out);
  if (!flags.vector.empty()) return answer_one(local, flags, options, out);

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
  auto stats = vs::run_queries(local, remote->get(), flags.queries, out, options, on_reject);
  if (!stats.ok()) return stats.status();
  if (stats->partial > 0) {
    g_partial_results = true;
    vs::cli::note(kProg, std::to_string(stats->partial) + " results are partial: some shards did not answer");
  }
  if (rejects) VS_RETURN_IF_ERROR(rejects->stream().flush());
  if (stats->rejected > 0) {
    vs::cli::note(kProg, "skipped " + std::to_string(stats->rejected) + " invalid quer" +
                             (stats->rejected == 1 ? "y" : "ies"));
  }
  return vs::Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Answer nearest-neighbour queries (JSON Lines) against local and remote vs shards."};
  app.name(std::string(kProg));
  vs::cli::add_standard_flags(app, kProg, /*can_exit_partial=*/true);
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
  app.add_option("-i,--queries", flags.queries, "Query JSON Lines file ('-': stdin)")->capture_default_str();
  app.add_flag("--verify", flags.verify, "Check every section checksum of every shard before answering");
  app.add_flag("--partial", flags.partial,
               "When remote shards fail, write the others' hits marked partial and exit 3 instead of failing");
  app.add_option("--timeout-ms", flags.timeout_ms, "Milliseconds each remote shard request may take")
      ->check(CLI::Range(size_t{1}, size_t{3600000}))
      ->capture_default_str();
  app.add_option("--token-file", flags.token_file, "Send the token in FILE as a bearer token to http(s) shards");
  app.add_option("--cluster", flags.cluster, "Shards from FILE: one per line, replicas of a shard on one line");
  app.add_option("--filter", flags.filter,
                 "Only documents matching JSON, e.g. '{\"category\": \"news\"}' (ANDed with each query's own)");
  app.add_flag("--with-meta", flags.with_meta, "Give every hit its document's metadata (\"meta\")");
  app.add_flag("--explain", flags.explain, "Print each filtered query's plan and match count per shard to stderr");
  app.add_flag("--stdio", flags.stdio, "Greet, then answer query lines on stdin one by one (for ssh:// shards)");
  app.add_option("SHARD", flags.shards,
                 "Index directories, .vsi files, http(s)://host:port or ssh://[user@]host/path");
  int status = vs::cli::run_tool(app, argc, argv, [&] { return run(flags); });
  return status == vs::cli::kExitOk && g_partial_results ? vs::cli::kExitPartial : status;
}
