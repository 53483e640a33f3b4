#include "net/serve.h"

#include <chrono>
#include <thread>

#include "core/metric.h"
#include "net/bearer_token.h"
#include "net/index_holder.h"
#include "net/serve_metrics.h"
#include "net/signal_watcher.h"

namespace vs::net {

namespace {

// Beyond the idle timeout (which bounds a stalled client), the time a drain
// allows for searches already computing to finish and be sent.
constexpr unsigned kDrainGraceSeconds = 5;

// --watch polls this often: a rebuild goes live within a second, and reading
// a small manifest once a second costs nothing.
constexpr int kWatchIntervalMs = 1000;

std::string describe(const Index& index) {
  return "generation " + std::to_string(index.generation) + ": " + std::to_string(index.count) + " documents in " +
         std::to_string(index.shards.shard_count()) + " shard" + (index.shards.shard_count() == 1 ? "" : "s") +
         ", dim " + std::to_string(index.shards.dim()) + ", " + std::string(metric_name(index.shards.metric()));
}

// Decides whether --watch should reload: when some manifest's generation
// differs from the serving index's, unless that generation was already
// refused (it would be refused again every second).
class ManifestWatch {
 public:
  explicit ManifestWatch(std::vector<std::string> dirs) : dirs_(std::move(dirs)) {}

  bool changed(const Index& serving) {
    uint64_t newest = 0;
    for (const std::string& dir : dirs_) {
      auto generation = manifest_generation(dir);
      if (!generation.ok()) return false;  // missing or unreadable right now: try again next second
      newest = std::max(newest, *generation);
    }
    if (newest == serving.generation || newest == refused_) return false;
    candidate_ = newest;
    return true;
  }
  void refused() { refused_ = candidate_; }

 private:
  std::vector<std::string> dirs_;
  uint64_t candidate_ = 0;
  uint64_t refused_ = 0;
};

void reload(IndexHolder& holder, ServeMetrics& metrics, const LogFn& log, std::string_view why,
            ManifestWatch* watch) {
  auto fresh = holder.reload();
  metrics.count_reload(fresh.ok());
  if (!fresh.ok()) {
    if (watch != nullptr) watch->refused();
    log("reload (" + std::string(why) + ") refused, still serving " + describe(*holder.current()) + ": " +
        fresh.status().message());
    return;
  }
  metrics.set_index((*fresh)->generation, (*fresh)->count);
  log("reloaded (" + std::string(why) + "): " + describe(**fresh));
}

void drain(HttpServer& server, SearchService& service, unsigned idle_timeout_s, const LogFn& log) {
  service.start_draining();
  server.stop_accepting();
  uint64_t active = server.active_exchanges();
  log("draining: " + std::to_string(active) + " request" + (active == 1 ? "" : "s") + " in flight");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(idle_timeout_s + kDrainGraceSeconds);
  // Polling is enough here: a drain happens once, and 10 ms is well under
  // the time a client notices.
  while (server.active_exchanges() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (server.active_exchanges() != 0) {
    log("drain timed out with " + std::to_string(server.active_exchanges()) + " requests in flight");
  }
}

}  // namespace

Status serve(const ServeOptions& options, const LogFn& log) {
  auto signals = SignalWatcher::open();
  if (!signals.ok()) return signals.status();

  ServiceOptions service_options = options.service;
  if (!options.token_file.empty()) {
    auto token = read_token_file(options.token_file);
    if (!token.ok()) return token.status();
    service_options.token = std::move(token).value();
  }
  auto index = load_index(options.shards);
  if (!index.ok()) return index.status();
  IndexHolder holder(options.shards, *index);
  if (options.watch && holder.directories().empty()) {
    return Status::Usage("--watch needs an index directory (with a manifest.json) among the shards");
  }
  ServeMetrics metrics;
  metrics.set_index((*index)->generation, (*index)->count);
  SearchService service(holder, metrics, service_options);

  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  HttpServerOptions http{.listen = options.listen,
                         .threads = options.threads != 0 ? options.threads : cores,
                         .max_body_bytes = service_options.max_body_bytes,
                         .idle_timeout_s = options.idle_timeout_s,
                         .log = log};
  auto server = HttpServer::start(http, service);
  if (!server.ok()) return server.status();
  log("listening on " + (*server)->address());
  log("serving " + describe(**index));
  index.value().reset();  // the holder keeps the index alive; a reload may release it

  ManifestWatch watch(holder.directories());
  while (true) {
    auto event = (*signals)->wait(options.watch ? kWatchIntervalMs : -1);
    if (!event.ok()) return event.status();
    if (*event == SignalWatcher::Event::kStop) break;
    if (*event == SignalWatcher::Event::kReload) {
      reload(holder, metrics, log, "SIGHUP", options.watch ? &watch : nullptr);
    } else if (options.watch && watch.changed(*holder.current())) {
      reload(holder, metrics, log, "manifest changed", &watch);
    }
  }
  drain(**server, service, options.idle_timeout_s, log);
  server.value().reset();
  log("stopped");
  return Status::Ok();
}

}  // namespace vs::net
