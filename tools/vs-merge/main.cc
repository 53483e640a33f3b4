// vs-merge: merges per-shard result streams into one global top-k per query.
// Flags in, lib/query out; see man/vs-merge.1.
#include <unistd.h>

#include <string>
#include <vector>

#include "cli/tool.h"
#include "query/query.h"
#include "query/result_merge.h"
#include "util/output.h"

int main(int argc, char** argv) {
  CLI::App app{"Merge result JSON Lines streams into the global top-k per query."};
  app.name("vs-merge");
  vs::cli::add_standard_flags(app, "vs-merge");
  vs::MergeOptions options;
  std::vector<std::string> inputs;
  app.add_option("-k", options.k, "Hits kept per query")
      ->check(CLI::Range(size_t{1}, size_t{vs::kMaxK}))
      ->capture_default_str();
  app.add_option("FILE", inputs, "Result JSON Lines files ('-': stdin, at most once)")->required();
  return vs::cli::run_tool(app, argc, argv, [&]() -> vs::Status {
    vs::OutputStream out(STDOUT_FILENO, "stdout");
    auto stats = vs::merge_results(inputs, out, options);
    return stats.status();
  });
}
