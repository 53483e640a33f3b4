// Fuzz target: the result JSON Lines reader of vs-merge (lib/query/result_merge.h).
//
// Each line goes through ResultLineParser; then the whole input is merged
// with a copy of itself that starts one line later, which makes the query ids
// disagree and drives merge_results() from streaming into its buffered mode.
// Accepted lines must hold finite scores.
#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_input.h"
#include "query/result_merge.h"
#include "util/output.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static vs::ResultLineParser* parser = new vs::ResultLineParser();
  static const int dev_null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  const std::string_view text = vs::fuzz::as_text(data, size);
  vs::ResultLine line;
  uint64_t number = 0;
  for (std::string_view raw : vs::fuzz::split_lines(text)) {
    ++number;
    if (!parser->parse(raw, "fuzz", number, line).ok()) continue;
    for (const vs::Hit& hit : line.hits) {
      if (!std::isfinite(hit.score)) std::abort();
    }
  }

  const size_t first_newline = text.find('\n');
  const std::string_view tail = first_newline == std::string_view::npos ? std::string_view{}
                                                                         : text.substr(first_newline + 1);
  vs::fuzz::MemoryFile whole(text);
  vs::fuzz::MemoryFile shifted(tail);
  vs::OutputStream out(dev_null, "/dev/null", 1 << 12);
  vs::MergeOptions options;
  options.k = 1 + size % 5;
  (void)vs::merge_results({whole.path(), shifted.path()}, out, options);
  return 0;
}
