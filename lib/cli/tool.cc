#include "cli/tool.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>

namespace vs::cli {

int exit_status_for(Code code) {
  switch (code) {
    case Code::kOk:
    case Code::kBrokenPipe: return kExitOk;
    case Code::kUsage: return kExitUsage;
    case Code::kBadData:
    case Code::kCorruption: return kExitDataError;
    case Code::kIoError:
    case Code::kUnavailable:
    case Code::kInternal: return kExitFailure;
  }
  return kExitFailure;
}

void report(std::string_view prog, const Status& status) {
  if (status.ok() || status.code() == Code::kBrokenPipe) return;
  std::string line = std::string(prog) + ": " + status.message() + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

void note(std::string_view prog, std::string_view message) {
  std::string line = std::string(prog) + ": " + std::string(message) + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

bool progress_wanted(bool forced, bool quiet) {
  if (quiet) return false;
  return forced || ::isatty(STDERR_FILENO) == 1;
}

void add_standard_flags(CLI::App& app, std::string_view prog, bool can_exit_partial) {
  app.set_version_flag("--version", std::string(prog) + " (vs) " + VS_VERSION);
  const std::string partial = can_exit_partial ? "3 partial results, " : "";
  app.footer("Exit status: 0 success, 1 runtime failure, 2 usage, " + partial +
             "65 bad input data.\nSee man " + std::string(prog) + "(1).");
}

// Flushes and closes stdout so that a late write error (ENOSPC on a redirected
// file, EPIPE) is seen and reported rather than lost at exit.
static Status close_stdout() {
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    if (errno == EPIPE) return Status::BrokenPipe();
    return Status::IoError(std::string("cannot write to stdout: ") + std::strerror(errno));
  }
  if (::close(STDOUT_FILENO) != 0 && errno != EBADF) {
    if (errno == EPIPE) return Status::BrokenPipe();
    return Status::IoError(std::string("cannot write to stdout: ") + std::strerror(errno));
  }
  return Status::Ok();
}

int run_tool(CLI::App& app, int argc, char** argv, const std::function<Status()>& body) {
  std::signal(SIGPIPE, SIG_IGN);
  // A file-size limit (ulimit -f) would otherwise kill the tool with SIGXFSZ
  // mid-write, with no message; ignored, the write fails with EFBIG and the
  // error names the file like any other write error.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    report(app.get_name(), Status::Usage(msg + " (see --help)"));
    return kExitUsage;
  }
  Status status;
  try {
    status = body();
  } catch (const std::bad_alloc&) {
    status = Status::IoError("out of memory");
  } catch (const std::exception& e) {
    status = Status::Internal(std::string("internal error: ") + e.what());
  }
  Status closed = close_stdout();
  if (status.ok()) status = closed;
  report(app.get_name(), status);
  return exit_status_for(status.code());
}

}  // namespace vs::cli
