// Fuzz target: query JSON Lines (lib/query/query.h), what vs-query reads,
// and the --vector text form.
//
// Every line goes through a cosine parser of dimension 4 and an l2 parser of
// dimension 2. An accepted query must hold exactly `dim` finite numbers and k
// and ef within their limits: anything else reaching the search is a bug.
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "fuzz_input.h"
#include "query/query.h"

namespace {

void check_query(const vs::Query& query, uint32_t dim) {
  if (query.vector.size() != dim || query.k > vs::kMaxK || query.ef > vs::kMaxEf || query.id.empty()) std::abort();
  for (float x : query.vector) {
    if (!std::isfinite(x)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static vs::QueryParser* cosine = new vs::QueryParser(4, vs::Metric::kCosine);
  static vs::QueryParser* l2 = new vs::QueryParser(2, vs::Metric::kL2);
  vs::Query query;
  uint64_t line_number = 0;
  for (std::string_view line : vs::fuzz::split_lines(vs::fuzz::as_text(data, size))) {
    ++line_number;
    if (vs::is_blank_line(line)) continue;
    if (cosine->parse(line, "fuzz", line_number, query).ok()) check_query(query, 4);
    if (l2->parse(line, "fuzz", line_number, query).ok()) check_query(query, 2);
    if (vs::parse_vector_text(line, 2, vs::Metric::kCosine, query).ok()) check_query(query, 2);
  }
  return 0;
}
