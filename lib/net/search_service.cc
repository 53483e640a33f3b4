#include "net/search_service.h"

#include <simdjson.h>

#include <cstdio>
#include <cstring>

#include "core/metric.h"
#include "net/bearer_token.h"
#include "query/query.h"
#include "query/result_writer.h"

namespace vs::net {

namespace od = simdjson::ondemand;

namespace {

constexpr std::string_view kSearch = "/search";
constexpr std::string_view kHealth = "/healthz";
constexpr std::string_view kInfo = "/info";
constexpr std::string_view kMetrics = "/metrics";

// Seconds a shed client should wait: one is long enough for a burst of
// in-flight searches (milliseconds each) to finish, short enough not to idle.
constexpr const char* kRetryAfterSeconds = "1";

std::string describe(simdjson::error_code error) {
  std::string text = simdjson::error_message(error);
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

// QueryParser prefixes its errors with "SOURCE:LINE: " for JSON Lines files;
// a request has no lines, so the prefix is replaced by `where` ("" or
// "queries[3]: ").
std::string reword(const Status& status, std::string_view prefix, std::string_view where) {
  std::string_view message = status.message();
  if (message.starts_with(prefix)) message.remove_prefix(prefix.size());
  return std::string(where) + std::string(message);
}

HttpResponse text_response(int status, std::string body, std::string content_type = "text/plain; charset=utf-8") {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.content_type = std::move(content_type);
  return response;
}

std::string hex16(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

HttpResponse error_response(int status, std::string_view message) {
  HttpResponse response;
  response.status = status;
  response.body = "{\"error\":";
  append_json_string(message, response.body);
  response.body += "}\n";
  return response;
}

// Everything one request needs to parse and search, kept between requests.
struct SearchService::Worker {
  std::unique_ptr<QueryParser> parser;  // made for one dim and metric; remade after a reload changes them
  od::parser envelope_parser;          // reads {"queries": [...]}
  std::string padded;                   // the body plus simdjson's padding
  std::vector<Query> queries;
  SearchScratch scratch;
  std::vector<Hit> hits;
  std::string selected_meta;  // what hits view when a query includes some fields

  QueryParser& parser_for(const ShardSet& shards) {
    if (!parser || parser->dim() != shards.dim() || parser->metric() != shards.metric()) {
      parser = std::make_unique<QueryParser>(shards.dim(), shards.metric());
    }
    parser->set_fields(shards.fields());  // this index's, which a reload may have changed
    return *parser;
  }
};

class SearchService::WorkerLease {
 public:
  explicit WorkerLease(SearchService& service) : service_(service) {
    std::lock_guard lock(service_.pool_mutex_);
    if (service_.idle_workers_.empty()) {
      worker_ = std::make_unique<Worker>();
    } else {
      worker_ = std::move(service_.idle_workers_.back());
      service_.idle_workers_.pop_back();
    }
  }
  ~WorkerLease() {
    std::lock_guard lock(service_.pool_mutex_);
    service_.idle_workers_.push_back(std::move(worker_));
  }
  WorkerLease(const WorkerLease&) = delete;
  WorkerLease& operator=(const WorkerLease&) = delete;
  Worker& operator*() { return *worker_; }
  Worker* operator->() { return worker_.get(); }

 private:
  SearchService& service_;
  std::unique_ptr<Worker> worker_;
};

SearchService::SearchService(IndexHolder& index, ServeMetrics& metrics, ServiceOptions options)
    : index_(index), metrics_(metrics), options_(std::move(options)) {}

SearchService::~SearchService() = default;

std::optional<HttpResponse> SearchService::on_headers(HttpRequest& request) {
  const std::string& path = request.path;
  bool is_search = path == kSearch;
  if (!is_search && path != kHealth && path != kInfo && path != kMetrics) {
    return finish(error_response(404, "no such endpoint '" + path + "': try /search, /healthz, /info or /metrics"));
  }
  bool method_ok = is_search ? request.method == "POST" : request.method == "GET" || request.method == "HEAD";
  if (!method_ok) {
    std::string allowed = is_search ? "POST" : "GET, HEAD";
    HttpResponse response = error_response(405, path + " takes " + allowed + ", not " + request.method);
    response.headers.emplace_back("Allow", allowed);
    return finish(std::move(response));
  }
  if (!options_.token.empty() && path != kHealth && !bearer_matches(request.authorization, options_.token)) {
    HttpResponse response = error_response(401, request.authorization.empty()
                                                    ? "missing 'Authorization: Bearer <token>'"
                                                    : "the bearer token does not match");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return finish(std::move(response));
  }
  if (!is_search) return std::nullopt;
  if (request.content_length && *request.content_length > options_.max_body_bytes) {
    return finish(error_response(413, "the body has " + std::to_string(*request.content_length) +
                                          " bytes, more than the limit of " +
                                          std::to_string(options_.max_body_bytes) + " (--max-body)"));
  }
  if (!metrics_.try_enter(options_.max_inflight)) {
    HttpResponse response = error_response(
        503, "busy: " + std::to_string(options_.max_inflight) + " searches in flight (--max-inflight); retry later");
    response.headers.emplace_back("Retry-After", kRetryAfterSeconds);
    return finish(std::move(response));
  }
  request.holds_slot = true;
  return std::nullopt;
}

HttpResponse SearchService::on_request(HttpRequest& request) {
  const std::string& path = request.path;
  if (path == kSearch) {
    if (request.body_too_large) {
      return finish(error_response(413, "the body is longer than the limit of " +
                                            std::to_string(options_.max_body_bytes) + " bytes (--max-body)"));
    }
    std::shared_ptr<const Index> index = index_.current();
    return finish(search(*index, request.body));
  }
  if (path == kHealth) {
    return finish(draining() ? text_response(503, "draining\n") : text_response(200, "ok\n"));
  }
  if (path == kInfo) return finish(info());
  return finish(text_response(200, metrics_.render(), "text/plain; version=0.0.4; charset=utf-8"));
}

void SearchService::on_done(const HttpRequest& request, int status) {
  if (request.holds_slot) metrics_.leave();
  if (status == 0) return;  // the connection went away before an answer
  metrics_.count_request(status);
  if (request.path == kSearch) {
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - request.started;
    metrics_.observe_search_seconds(elapsed.count());
  }
}

HttpResponse SearchService::finish(HttpResponse response) const {
  if (draining()) response.close_connection = true;
  return response;
}

HttpResponse SearchService::info() const {
  std::shared_ptr<const Index> index = index_.current();
  const ShardSet& shards = index->shards;
  std::string body = "{\"dim\":" + std::to_string(shards.dim()) + ",\"metric\":";
  append_json_string(metric_name(shards.metric()), body);
  body += ",\"count\":" + std::to_string(index->count) + ",\"generation\":" + std::to_string(index->generation) +
          ",\"reloads\":" + std::to_string(index_.reloads()) + ",\"fields\":[";
  const std::vector<std::string_view> fields = shards.common_fields();
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i != 0) body += ',';
    append_json_string(fields[i], body);
  }
  body += "],\"shards\":[";
  for (size_t i = 0; i < index->shard_info.size(); ++i) {
    const ShardInfo& shard = index->shard_info[i];
    if (i != 0) body += ',';
    body += "{\"file\":";
    append_json_string(shard.path, body);
    body += ",\"count\":" + std::to_string(shard.count) + ",\"bytes\":" + std::to_string(shard.bytes) +
            ",\"header_checksum\":\"" + hex16(shard.header_checksum) + "\"}";
  }
  body += "]}\n";
  HttpResponse response;
  response.body = std::move(body);
  return response;
}

HttpResponse SearchService::search(const Index& index, std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return error_response(400, "empty body: expected a query object or {\"queries\": [...]}");
  }
  WorkerLease worker(*this);
  QueryParser& parser = worker->parser_for(index.shards);
  std::vector<Query>& queries = worker->queries;

  // The body is one query unless its first field is "queries": peeking at
  // one key is enough to tell, and a single query then goes straight to the
  // query parser, which rejects "queries" later in an object as unknown.
  worker->padded.assign(body);
  worker->padded.resize(body.size() + simdjson::SIMDJSON_PADDING);
  od::document doc;
  simdjson::error_code error =
      worker->envelope_parser.iterate(simdjson::padded_string_view(worker->padded.data(), body.size(),
                                                                   worker->padded.size()))
          .get(doc);
  od::object object;
  if (error == simdjson::SUCCESS) error = doc.get_object().get(object);
  if (error == simdjson::INCORRECT_TYPE) return error_response(400, "the body must be a JSON object");
  if (error != simdjson::SUCCESS) return error_response(400, "invalid JSON: " + describe(error));
  bool batch = false;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return error_response(400, "invalid JSON: bad field name");
    if (!batch && key != "queries") break;  // a single query
    if (batch) return error_response(400, "a batch object holds only 'queries', found '" + std::string(key) + "'");
    batch = true;
    od::array array;
    if (field.value().get_array().get(array) != simdjson::SUCCESS) {
      return error_response(400, "'queries' must be an array of query objects");
    }
    size_t count = 0;
    for (auto element : array) {
      if (count == options_.max_batch) {
        return error_response(400, "a batch holds at most " + std::to_string(options_.max_batch) +
                                       " queries (--max-batch)");
      }
      std::string where = "queries[" + std::to_string(count) + "]: ";
      std::string_view text;
      od::object query_object;
      if ((error = element.get_object().get(query_object)) != simdjson::SUCCESS) {
        return error_response(400, where + (error == simdjson::INCORRECT_TYPE ? "a query must be a JSON object"
                                                                              : "invalid JSON: " + describe(error)));
      }
      if ((error = query_object.raw_json().get(text)) != simdjson::SUCCESS) {
        return error_response(400, where + "invalid JSON: " + describe(error));
      }
      if (queries.size() <= count) queries.resize(count + 1);
      Status status = parser.parse(text, "queries", count + 1, queries[count]);
      if (!status.ok()) {
        return error_response(400, reword(status, "queries:" + std::to_string(count + 1) + ": ", where));
      }
      ++count;
    }
    queries.resize(count);
  }
  if (batch) {
    // On-Demand validates lazily: the loop ends cleanly at the object's
    // close, so anything after it (a second object, garbage) is found here.
    const char* trailing = nullptr;
    if (doc.current_location().get(trailing) == simdjson::SUCCESS) {
      return error_response(400, "unexpected text after the batch object");
    }
  } else {
    queries.resize(1);
    Status status = parser.parse(body, "request", 1, queries[0]);
    if (!status.ok()) return error_response(400, reword(status, "request:1: ", ""));
  }

  for (size_t i = 0; i < queries.size(); ++i) {
    if (queries[i].k > options_.max_k) {
      std::string where = batch ? "queries[" + std::to_string(i) + "]: " : "";
      return error_response(400, where + "'k' must be at most " + std::to_string(options_.max_k) + ", got " +
                                     std::to_string(queries[i].k));
    }
  }

  HttpResponse response;
  std::string& out = response.body;
  if (batch) out = "{\"results\":[";
  for (size_t i = 0; i < queries.size(); ++i) {
    const Query& query = queries[i];
    SearchParams params{.k = query.k != 0 ? query.k : options_.default_k,
                        .ef = query.ef != 0 ? query.ef : options_.default_ef,
                        .filter = &query.filter,
                        .with_meta = query.include != Query::Include::kNone};
    index.shards.search(query.vector, params, worker->scratch, worker->hits);
    if (query.include == Query::Include::kFields) {
      worker->scratch.meta.select_hits(query.include_fields, worker->hits, worker->selected_meta);
    }
    if (i != 0) out += ',';
    append_result_line(query.id, worker->hits, out);
    out.pop_back();  // the line's "\n": here it is an element of a JSON document
  }
  out += batch ? "]}\n" : "\n";
  metrics_.add_queries(queries.size());
  return response;
}

}  // namespace vs::net
