// Fuzz target: the record stream reader (lib/format/record_stream.h), what
// vs-build reads from vs-ingest through a pipe or ssh.
//
// Checksums would stop almost every mutation at the first frame, so each
// input is read twice: as given (the checksum checks themselves), and with
// the header and frame checksums recomputed ("repaired") so the fuzzer
// reaches the size fields, zstd payloads and record decoding behind them.
// Every record returned must have the stream's dimension.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "format/record_stream.h"
#include "fuzz_input.h"
#include "util/hash.h"

namespace {

template <typename T>
T load(const std::string& bytes, size_t at) {
  T value;
  std::memcpy(&value, bytes.data() + at, sizeof(T));
  return value;
}

template <typename T>
void store(std::string& bytes, size_t at, T value) {
  std::memcpy(bytes.data() + at, &value, sizeof(T));
}

// Recomputes the header checksum and the checksum of every whole frame.
std::string repaired(std::string bytes) {
  if (bytes.size() < vs::kRecordStreamHeaderBytes) return bytes;
  store(bytes, 28, static_cast<uint32_t>(vs::checksum64(bytes.data(), 28)));
  size_t at = vs::kRecordStreamHeaderBytes;
  while (bytes.size() - at >= vs::kRecordStreamFrameBytes) {
    const uint64_t payload_bytes = load<uint64_t>(bytes, at + 8);
    const size_t payload_at = at + vs::kRecordStreamFrameBytes;
    if (payload_bytes > bytes.size() - payload_at) break;
    store(bytes, at + 16, vs::checksum64(bytes.data() + payload_at, payload_bytes));
    at = payload_at + payload_bytes;
  }
  return bytes;
}

void read_all(const std::string& bytes) {
  vs::fuzz::MemoryFile file(bytes);
  auto reader = vs::RecordStreamReader::from_fd(file.fd(), "fuzz");
  if (!reader.ok()) return;
  const uint32_t dim = (*reader)->header().dim;
  std::vector<vs::Record> batch;
  for (;;) {
    auto more = (*reader)->next_batch(batch);
    if (!more.ok() || !*more) return;
    for (const vs::Record& record : batch) {
      if (record.vec.size() != dim) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(vs::fuzz::as_text(data, size));
  read_all(bytes);
  std::string fixed = repaired(bytes);
  if (fixed != bytes) read_all(fixed);
  return 0;
}
