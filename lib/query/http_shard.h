// HttpShard: a shard served by vs-serve at http://host:port or https://...
//
// A batch goes out as one POST /search with {"queries": [...]} and comes back
// as {"results": [...]}, one result per query, in order (docs/FORMATS.md,
// "HTTP API"). Each request is bounded by timeout_ms; a connection error
// (refused, reset, a keep-alive connection the server had closed) is retried
// once on a fresh connection before the shard counts as failed. A token,
// when set, is sent as "Authorization: Bearer <token>".
//
// The shard owns its easy handle and buffers; the CurlMulti it is added to is
// shared with the run's other HTTP shards and must outlive it. Not
// thread-safe: the thread that drives the CurlMulti uses every shard on it.
#pragma once

#include <memory>
#include <string>

#include <simdjson.h>

#include "query/curl_multi.h"
#include "query/result_merge.h"
#include "query/remote_shard.h"

namespace vs {

struct HttpShardOptions {
  size_t timeout_ms = 10000;
  std::string token;  // empty: no Authorization header
};

class HttpShard final : public RemoteShard, private CurlTransfer {
 public:
  // Internal error when libcurl cannot create a handle.
  static Expected<std::unique_ptr<HttpShard>> create(std::string address, CurlMulti& multi,
                                                     const HttpShardOptions& options);
  ~HttpShard() override = default;

  const std::string& address() const override { return address_; }
  Expected<RemoteInfo> connect() override;
  void start(const RemoteBatch& batch) override;
  void finish(RemoteAnswer& answer) override;

 private:
  HttpShard(std::string address, CurlMulti& multi, CurlEasy easy, CurlHeaders headers, size_t timeout_ms);
  void on_done(CURLcode result) override;
  void begin(const std::string& path, bool post);
  // The failure of the last transfer, or "" when it returned 200.
  std::string transfer_failure(bool& retry_elsewhere) const;
  void parse_results(RemoteAnswer& answer);

  std::string address_;  // without a trailing '/'
  CurlMulti& multi_;
  CurlEasy easy_;
  CurlHeaders headers_;
  size_t timeout_ms_;
  const RemoteBatch* batch_ = nullptr;
  std::string request_body_;
  std::string response_body_;
  simdjson::ondemand::parser envelope_parser_;
  ResultLineParser result_parser_;  // reads each result object as vs-merge reads a line
  ResultLine parsed_;
  char error_text_[CURL_ERROR_SIZE] = {};
  bool in_flight_ = false;
  bool retried_ = false;
  Status start_error_;
  CURLcode result_ = CURLE_OK;
};

}  // namespace vs
