// The shared front end of every vs tool (git's run_builtin in miniature).
//
// run_tool() sets up signals (SIGPIPE ignored so a closed pipe is an EPIPE
// error, reported quietly), lets CLI11 parse the flags (--help, --version
// printing "vs-NAME (vs) X.Y.Z"), runs the tool body, flushes stdout and
// reports real write errors (ENOSPC), and maps the resulting Status to an exit
// status and one line on stderr: "vs-NAME: message".
//
// Exit statuses (documented in every man page):
//   0 success · 1 runtime failure · 2 usage · 65 bad input data or a corrupt file
//   (EX_DATAERR) · 3 partial results (reserved for vs-query --partial).
// A broken pipe on stdout exits 0 with no message: the reader asked for no more.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vs::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitPartial = 3;
inline constexpr int kExitDataError = 65;

int exit_status_for(Code code);

// Prints "prog: message" on stderr (nothing for ok or a broken pipe).
void report(std::string_view prog, const Status& status);

// Prints "prog: message" on stderr for warnings and summaries.
void note(std::string_view prog, std::string_view message);

// True when progress lines should go to stderr: it is a terminal, or forced.
bool progress_wanted(bool forced, bool quiet);

// Adds --version to `app`, and the usual description footer with the exit
// statuses; `can_exit_partial` for a tool that may exit kExitPartial.
void add_standard_flags(CLI::App& app, std::string_view prog, bool can_exit_partial = false);

// Parses argv with `app` and runs `body`; returns the process exit status.
int run_tool(CLI::App& app, int argc, char** argv, const std::function<Status()>& body);

}  // namespace vs::cli
