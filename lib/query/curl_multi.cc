#include "query/curl_multi.h"

#include <mutex>
#include <string>

namespace vs {

Expected<std::unique_ptr<CurlMulti>> CurlMulti::create() {
  // curl_global_init is not thread-safe in older libcurls; once per process,
  // and never cleaned up, since another CurlMulti may be created later.
  static std::once_flag once;
  static CURLcode global = CURLE_OK;
  std::call_once(once, [] { global = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (global != CURLE_OK) return Status::Internal(std::string("cannot initialise libcurl: ") + curl_easy_strerror(global));
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return Status::Internal("cannot create a libcurl multi handle");
  return std::unique_ptr<CurlMulti>(new CurlMulti(multi));
}

CurlMulti::~CurlMulti() { curl_multi_cleanup(multi_); }

Status CurlMulti::add(CURL* easy, CurlTransfer& owner) {
  curl_easy_setopt(easy, CURLOPT_PRIVATE, static_cast<void*>(&owner));
  CURLMcode code = curl_multi_add_handle(multi_, easy);
  if (code != CURLM_OK) return Status::Internal(std::string("libcurl: ") + curl_multi_strerror(code));
  return Status::Ok();
}

Status CurlMulti::run_until(const std::function<bool()>& done) {
  while (!done()) {
    int running = 0;
    CURLMcode code = curl_multi_perform(multi_, &running);
    if (code != CURLM_OK) return Status::Internal(std::string("libcurl: ") + curl_multi_strerror(code));
    int queued = 0;
    int finished = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      CURLcode result = message->data.result;  // read before removal invalidates the message
      void* owner = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &owner);
      curl_multi_remove_handle(multi_, easy);
      static_cast<CurlTransfer*>(owner)->on_done(result);
      ++finished;
    }
    if (done()) break;
    // A retry added above: perform again at once. Nothing running and nothing
    // finished would spin forever: a caller waiting on a transfer never added.
    if (running == 0) {
      if (finished == 0) return Status::Internal("waiting on an HTTP transfer that was never started");
      continue;
    }
    // 100 ms bounds the wait when libcurl has no fd to watch yet (resolving).
    code = curl_multi_poll(multi_, nullptr, 0, 100, nullptr);
    if (code != CURLM_OK) return Status::Internal(std::string("libcurl: ") + curl_multi_strerror(code));
  }
  return Status::Ok();
}

}  // namespace vs
