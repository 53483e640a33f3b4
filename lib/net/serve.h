// serve(): vs-serve's whole life, from opening the index to draining.
//
//   1. route SIGHUP/SIGTERM/SIGINT to a signalfd (before any thread starts)
//   2. read the token file, open and verify the index
//   3. start the HTTP server; log "listening on HOST:PORT" (the real port)
//   4. loop: SIGHUP, or with `watch` a manifest whose generation changed
//      (polled every second), reloads the index (a bad one is refused and
//      logged, the old one keeps serving); SIGTERM or SIGINT ends the loop
//   5. drain: /healthz answers 503, no new connection is accepted, requests
//      in flight finish (for at most idle_timeout_s + kDrainGraceSeconds),
//      then the server stops. Returns Ok: a drained server exits 0.
//
// Messages for the operator (listening, reloads, draining) go to `log`, one
// line each without the program name; nothing is printed here.
// Errors: Usage (bad options, --watch without an index directory), IoError
// (cannot listen, unreadable token file), those of loading the index at
// start (Corruption for a bad shard: the caller exits 65).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "net/http_server.h"
#include "net/search_service.h"

namespace vs::net {

struct ServeOptions {
  ListenAddress listen{"127.0.0.1", 7700};
  unsigned threads = 0;  // HTTP workers; 0: one per core
  unsigned idle_timeout_s = 30;
  std::string token_file;  // empty: no authentication
  bool watch = false;
  ServiceOptions service;  // its token is filled from token_file
  std::vector<std::string> shards;
};

using LogFn = std::function<void(std::string_view)>;

Status serve(const ServeOptions& options, const LogFn& log);

}  // namespace vs::net
