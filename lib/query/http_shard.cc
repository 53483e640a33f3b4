#include "query/http_shard.h"

#include <simdjson.h>

#include <cctype>
#include <cmath>
#include <vector>

namespace vs {

namespace {

size_t append_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Failures worth one more try on a fresh connection: the server was not
// there, or a pooled keep-alive connection had been closed under us.
bool is_connection_error(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return true;
    default:
      return false;
  }
}

// The "error" member of a vs-serve error body, else the body itself (short).
std::string error_reason(const std::string& body) {
  simdjson::dom::parser parser;
  std::string_view reason;
  if (parser.parse(body).get_object()["error"].get_string().get(reason) == simdjson::SUCCESS) {
    return std::string(reason);
  }
  return body.substr(0, 200);
}

}  // namespace

Expected<std::unique_ptr<HttpShard>> HttpShard::create(std::string address, CurlMulti& multi,
                                                       const HttpShardOptions& options) {
  CurlEasy easy(curl_easy_init());
  if (!easy) return Status::Internal("cannot create a libcurl handle");
  // "Expect:" turns off libcurl's 100-continue handshake for larger bodies:
  // a round trip per batch that buys nothing against our own server.
  curl_slist* list = nullptr;
  std::vector<std::string> lines = {"Content-Type: application/json", "Expect:"};
  if (!options.token.empty()) lines.push_back("Authorization: Bearer " + options.token);
  for (const std::string& line : lines) {
    curl_slist* longer = curl_slist_append(list, line.c_str());
    if (longer == nullptr) {
      curl_slist_free_all(list);
      return Status::Internal("cannot build the HTTP headers");
    }
    list = longer;
  }
  CurlHeaders headers(list);
  while (!address.empty() && address.back() == '/') address.pop_back();
  return std::unique_ptr<HttpShard>(
      new HttpShard(std::move(address), multi, std::move(easy), std::move(headers), options.timeout_ms));
}

HttpShard::HttpShard(std::string address, CurlMulti& multi, CurlEasy easy, CurlHeaders headers, size_t timeout_ms)
    : address_(std::move(address)),
      multi_(multi),
      easy_(std::move(easy)),
      headers_(std::move(headers)),
      timeout_ms_(timeout_ms) {
  CURL* easy_handle = easy_.get();
  curl_easy_setopt(easy_handle, CURLOPT_HTTPHEADER, headers_.get());
  curl_easy_setopt(easy_handle, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(easy_handle, CURLOPT_WRITEDATA, &response_body_);
  curl_easy_setopt(easy_handle, CURLOPT_ERRORBUFFER, error_text_);
  curl_easy_setopt(easy_handle, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms_));
  curl_easy_setopt(easy_handle, CURLOPT_NOSIGNAL, 1L);  // we run threads; no SIGALRM for DNS timeouts
  curl_easy_setopt(easy_handle, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(easy_handle, CURLOPT_TCP_KEEPALIVE, 1L);
}

void HttpShard::begin(const std::string& path, bool post) {
  CURL* easy = easy_.get();
  std::string url = address_ + path;
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());  // libcurl copies the string
  if (post) {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request_body_.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request_body_.size()));
  } else {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  }
  response_body_.clear();
  error_text_[0] = '\0';
  result_ = CURLE_OK;
  in_flight_ = true;
  start_error_ = multi_.add(easy, *this);
  if (!start_error_.ok()) in_flight_ = false;
}

void HttpShard::on_done(CURLcode result) {
  if (is_connection_error(result) && !retried_) {
    retried_ = true;
    response_body_.clear();
    start_error_ = multi_.add(easy_.get(), *this);
    if (start_error_.ok()) return;
  }
  result_ = result;
  in_flight_ = false;
}

std::string HttpShard::transfer_failure(bool& retry_elsewhere) const {
  retry_elsewhere = true;
  if (!start_error_.ok()) return start_error_.message();
  if (result_ == CURLE_OPERATION_TIMEDOUT) return "timed out after " + std::to_string(timeout_ms_) + " ms";
  if (result_ != CURLE_OK) {
    std::string text = error_text_[0] != '\0' ? std::string(error_text_) : curl_easy_strerror(result_);
    // libcurl capitalises its messages; ours read "vs-query: shard '...': failed to connect ..."
    if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
  }
  long status = 0;
  curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status == 200) return {};
  // A 4xx would be answered alike by every replica: do not fail over for it.
  retry_elsewhere = status >= 500;
  return "HTTP " + std::to_string(status) + ": " + error_reason(response_body_);
}

Expected<RemoteInfo> HttpShard::connect() {
  retried_ = false;
  begin("/info", false);
  if (in_flight_) VS_RETURN_IF_ERROR(multi_.run_until([this] { return !in_flight_; }));
  bool retry_elsewhere = false;
  std::string failure = transfer_failure(retry_elsewhere);
  if (!failure.empty()) return Status::Unavailable("shard '" + address_ + "': " + failure);
  simdjson::dom::parser parser;
  simdjson::dom::object info;
  uint64_t dim = 0;
  std::string_view metric_text;
  if (parser.parse(response_body_).get_object().get(info) != simdjson::SUCCESS ||
      info["dim"].get_uint64().get(dim) != simdjson::SUCCESS ||
      info["metric"].get_string().get(metric_text) != simdjson::SUCCESS || dim == 0 || dim > UINT32_MAX) {
    return Status::BadData("shard '" + address_ + "': /info is not a vs-serve index description");
  }
  auto metric = parse_metric(metric_text);
  if (!metric) return Status::BadData("shard '" + address_ + "': unknown metric '" + std::string(metric_text) + "'");
  return RemoteInfo{static_cast<uint32_t>(dim), *metric};
}

void HttpShard::start(const RemoteBatch& batch) {
  batch_ = &batch;
  retried_ = false;
  request_body_ = "{\"queries\":[";
  for (size_t i = 0; i < batch.queries.size(); ++i) {
    if (i > 0) request_body_.push_back(',');
    append_query_json(batch.queries[i], batch.default_k, batch.default_ef, request_body_);
  }
  request_body_ += "]}";
  begin("/search", true);
}

void HttpShard::finish(RemoteAnswer& answer) {
  answer.reset(batch_->queries.size());
  if (in_flight_) {
    Status loop = multi_.run_until([this] { return !in_flight_; });
    if (!loop.ok()) return answer.fail(address_, loop.message(), true);
  }
  bool retry_elsewhere = false;
  std::string failure = transfer_failure(retry_elsewhere);
  if (!failure.empty()) return answer.fail(address_, failure, retry_elsewhere);
  parse_results(answer);
}

// {"results": [{"id": ..., "hits": [{"id": ..., "score": ..., "meta": {...}}, ...]}, ...]}
// Each result object is read as vs-merge reads a result line, so hits'
// metadata comes through as the server wrote it, digit for digit, and a
// number no machine type holds (which vs-ingest keeps as written) is no error.
void HttpShard::parse_results(RemoteAnswer& answer) {
  namespace od = simdjson::ondemand;
  const auto& queries = batch_->queries;
  response_body_.reserve(response_body_.size() + simdjson::SIMDJSON_PADDING);
  od::document doc;
  od::array results;
  if (envelope_parser_.iterate(simdjson::padded_string_view(response_body_)).get(doc) != simdjson::SUCCESS ||
      doc["results"].get_array().get(results) != simdjson::SUCCESS) {
    return answer.fail(address_, "the answer has no 'results' array", false);
  }
  size_t index = 0;
  for (auto element : results) {
    od::object object;
    std::string_view text;
    if (index == queries.size()) {
      return answer.fail(address_, "answered more results than the " + std::to_string(queries.size()) +
                                       " queries asked", false);
    }
    if (element.get_object().get(object) != simdjson::SUCCESS || object.raw_json().get(text) != simdjson::SUCCESS) {
      return answer.fail(address_, "result " + std::to_string(index + 1) + " is not a JSON object", false);
    }
    Status parsed = result_parser_.parse(text, "result", index + 1, parsed_);
    if (!parsed.ok()) return answer.fail(address_, parsed.message(), false);
    if (!result_matches(parsed_.id, queries[index])) {
      return answer.fail(address_, "result " + std::to_string(index + 1) + " does not answer query '" +
                                       queries[index].id + "'", false);
    }
    for (const Hit& hit : parsed_.hits) answer.add_hit(index, hit.id, hit.score, hit.meta);
    ++index;
  }
  if (index != queries.size()) {
    return answer.fail(address_, "answered " + std::to_string(index) + " results for " +
                                     std::to_string(queries.size()) + " queries", false);
  }
  answer.ok = true;
}

}  // namespace vs
