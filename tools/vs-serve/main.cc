// vs-serve: serves shards over HTTP (search, health, info, metrics), reloads
// on SIGHUP or --watch, drains on SIGTERM. Flags in, lib/net out; see
// man/vs-serve.1.
#include <string>
#include <vector>

#include "cli/tool.h"
#include "net/serve.h"
#include "query/query.h"

namespace {

constexpr std::string_view kProg = "vs-serve";

struct Flags {
  std::string listen = "127.0.0.1:7700";
  unsigned threads = 0;
  size_t max_inflight = 256;
  size_t max_body = 16u << 20;
  size_t max_batch = 1024;
  size_t max_k = 1000;
  size_t k = 10;
  size_t ef = 64;  // vs-query's default, so both answer alike
  unsigned idle_timeout = 30;
  std::string token_file;
  bool watch = false;
  std::vector<std::string> shards;
};

vs::Status run(const Flags& flags) {
  auto listen = vs::net::parse_listen_address(flags.listen);
  if (!listen.ok()) return listen.status();
  if (flags.k > flags.max_k) {
    return vs::Status::Usage("-k " + std::to_string(flags.k) + " is above --max-k " + std::to_string(flags.max_k));
  }
  vs::net::ServeOptions options{.listen = *listen,
                                .threads = flags.threads,
                                .idle_timeout_s = flags.idle_timeout,
                                .token_file = flags.token_file,
                                .watch = flags.watch,
                                .service = {.default_k = flags.k,
                                            .default_ef = flags.ef,
                                            .max_k = flags.max_k,
                                            .max_batch = flags.max_batch,
                                            .max_inflight = flags.max_inflight,
                                            .max_body_bytes = flags.max_body,
                                            .token = {}},
                                .shards = flags.shards};
  return vs::net::serve(options, [](std::string_view line) { vs::cli::note(kProg, line); });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Serve vs shards over HTTP: POST /search, GET /healthz, /info, /metrics."};
  app.name(std::string(kProg));
  vs::cli::add_standard_flags(app, kProg);
  Flags flags;
  app.add_option("--listen", flags.listen, "HOST:PORT to listen on (port 0: any free port, printed on stderr)")
      ->capture_default_str();
  app.add_option("--threads", flags.threads,
                 "HTTP worker threads, each a poll loop that also searches (0: one per core)")
      ->check(CLI::Range(0u, 1024u))
      ->capture_default_str();
  app.add_option("--max-inflight", flags.max_inflight,
                 "Searches in flight at once; more are answered 503 with Retry-After")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20))
      ->capture_default_str();
  app.add_option("--max-body", flags.max_body, "Largest request body in bytes; larger ones are answered 413")
      ->check(CLI::Range(size_t{1}, size_t{1} << 30))
      ->capture_default_str();
  app.add_option("--max-batch", flags.max_batch, "Most queries in one {\"queries\": [...]} request")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20))
      ->capture_default_str();
  app.add_option("--max-k", flags.max_k, "Largest k a query may ask for")
      ->check(CLI::Range(size_t{1}, size_t{vs::kMaxK}))
      ->capture_default_str();
  app.add_option("-k", flags.k, "Hits per query when the query gives no k")
      ->check(CLI::Range(size_t{1}, size_t{vs::kMaxK}))
      ->capture_default_str();
  app.add_option("--ef", flags.ef, "HNSW candidate list size when the query gives no ef (raised to k)")
      ->check(CLI::Range(size_t{1}, size_t{vs::kMaxEf}))
      ->capture_default_str();
  app.add_option("--idle-timeout", flags.idle_timeout, "Seconds a connection may stay silent before it is closed")
      ->check(CLI::Range(1u, 86400u))
      ->capture_default_str();
  app.add_option("--token-file", flags.token_file,
                 "Require 'Authorization: Bearer TOKEN' (all but /healthz); TOKEN is this file's first line")
      ->check(CLI::ExistingFile);
  app.add_flag("--watch", flags.watch, "Reload when an index directory's manifest.json changes (checked every second)");
  app.add_option("SHARD", flags.shards, "Index directories (manifest.json inside) or .vsi shard files")->required();
  return vs::cli::run_tool(app, argc, argv, [&] { return run(flags); });
}
