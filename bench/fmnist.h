// Reads Fashion-MNIST from Debian's dataset-fashion-mnist (IDX files, gzip).
//
// Used by the demo's JSONL converter and the ANN comparison harness, so both
// see the same data: images as 784 floats (raw 0..255 pixel values) and labels
// as class numbers 0..9. Errors are returned as text; nothing here prints.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vs::bench {

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

struct IdxData {
  uint32_t count = 0;
  uint32_t dim = 1;  // 784 for images, 1 for labels
  std::vector<float> values;
};

// Reads an IDX file (magic 0x00000801 labels or 0x00000803 images, big-endian
// sizes, unsigned bytes) through zlib, which also reads uncompressed files.
inline bool read_idx(const std::string& path, IdxData& out, std::string& error) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    error = "cannot open '" + path + "'";
    return false;
  }
  auto read_u32 = [&](uint32_t& v) {
    unsigned char b[4];
    if (gzread(file, b, 4) != 4) return false;
    v = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
    return true;
  };
  uint32_t magic = 0, rows = 1, cols = 1;
  bool ok = read_u32(magic) && (magic == 0x801 || magic == 0x803) && read_u32(out.count);
  if (ok && magic == 0x803) ok = read_u32(rows) && read_u32(cols);
  if (!ok) {
    gzclose(file);
    error = "'" + path + "' is not an IDX file";
    return false;
  }
  out.dim = rows * cols;
  std::vector<unsigned char> raw(size_t{out.count} * out.dim);
  ok = gzread(file, raw.data(), static_cast<unsigned>(raw.size())) == static_cast<int>(raw.size());
  gzclose(file);
  if (!ok) {
    error = "'" + path + "' is truncated";
    return false;
  }
  out.values.assign(raw.begin(), raw.end());
  return true;
}

}  // namespace vs::bench
