// fmnist-jsonl: writes Fashion-MNIST as vs input JSONL, for the demo and benchmarks.
//
//   fmnist-jsonl train > base.jsonl   60,000 images: {"id":"train-0","vec":[...],"category":"9"}
//   fmnist-jsonl test  > queries.jsonl 10,000 images: {"id":"test-0","vector":[...]}
// The class label becomes the "category" metadata of base documents.
#include <cstdio>
#include <string>
#include <string_view>

#include "fmnist.h"

int main(int argc, char** argv) {
  std::string_view which = argc > 1 ? argv[1] : "";
  if (which != "train" && which != "test") {
    std::fprintf(stderr, "usage: fmnist-jsonl train|test [DATASET_DIR]\n");
    return 2;
  }
  std::string dir = argc > 2 ? argv[2] : vs::bench::kFashionMnistDir;
  std::string prefix = which == "train" ? "train" : "t10k";
  vs::bench::IdxData images, labels;
  std::string error;
  if (!vs::bench::read_idx(dir + "/" + prefix + "-images-idx3-ubyte.gz", images, error) ||
      !vs::bench::read_idx(dir + "/" + prefix + "-labels-idx1-ubyte.gz", labels, error)) {
    std::fprintf(stderr, "fmnist-jsonl: %s\n", error.c_str());
    return 1;
  }
  std::string line;
  for (uint32_t i = 0; i < images.count; ++i) {
    line = "{\"id\":\"" + std::string(which) + "-" + std::to_string(i) + "\",";
    line += which == "train" ? "\"vec\":[" : "\"vector\":[";
    for (uint32_t d = 0; d < images.dim; ++d) {
      if (d > 0) line += ',';
      line += std::to_string(static_cast<int>(images.values[size_t{i} * images.dim + d]));
    }
    line += "]";
    if (which == "train") line += ",\"category\":\"" + std::to_string(static_cast<int>(labels.values[i])) + "\"";
    line += "}\n";
    if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size()) return 1;
  }
  return std::fclose(stdout) == 0 ? 0 : 1;
}
