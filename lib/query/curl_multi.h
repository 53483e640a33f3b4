// CurlMulti: one libcurl multi handle and the loop that drives its transfers.
//
// Every HttpShard of a run adds its easy handle here, so one thread moves all
// shards' requests at once, and the multi handle's connection cache keeps one
// keep-alive connection per server across batches (no TCP/TLS handshake per
// request). A transfer's owner is a CurlTransfer, found again through
// CURLINFO_PRIVATE when the transfer completes.
//
// Not thread-safe: one thread at a time drives a CurlMulti and its
// transfers. Transfers must be removed (they are, on completion) before the
// CurlMulti is destroyed; the RAII wrappers below release every handle.
#pragma once

#include <curl/curl.h>

#include <functional>
#include <memory>

#include "core/status.h"

namespace vs {

struct CurlEasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlHeaders = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// The owner of one easy handle driven by a CurlMulti.
class CurlTransfer {
 public:
  virtual ~CurlTransfer() = default;
  // Called by CurlMulti::run_until when the transfer ended (result CURLE_OK
  // or the error); it has already been removed from the multi handle, and
  // may be added again (a retry).
  virtual void on_done(CURLcode result) = 0;
};

class CurlMulti {
 public:
  // Internal error when libcurl cannot be initialised.
  static Expected<std::unique_ptr<CurlMulti>> create();
  ~CurlMulti();
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  // Starts `easy` (its CURLOPT_PRIVATE must point at `owner`).
  Status add(CURL* easy, CurlTransfer& owner);

  // Drives every transfer until `done()` is true. Returns an error only when
  // libcurl's multi interface itself fails; transfer errors go to on_done.
  Status run_until(const std::function<bool()>& done);

 private:
  explicit CurlMulti(CURLM* multi) : multi_(multi) {}
  CURLM* multi_;
};

}  // namespace vs
