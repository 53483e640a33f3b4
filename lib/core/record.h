// Record: one document as it flows from vs-ingest to vs-build.
//
// `id` is the document's id as text (integer ids are kept as their decimal
// text), `vec` its vector (already L2-normalised under cosine), and `meta` the
// document's other top-level fields as one raw JSON object text ("{}" if none).
#pragma once

#include <string>
#include <vector>

namespace vs {

struct Record {
  std::string id;
  std::vector<float> vec;
  std::string meta = "{}";
};

}  // namespace vs
