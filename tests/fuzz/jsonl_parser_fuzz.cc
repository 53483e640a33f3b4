// Fuzz target: input JSON Lines (lib/ingest/line_reader.h + jsonl_parser.h),
// the text vs-ingest and vs-build read from users.
//
// The bytes go through a LineReader (plain or zstd, detected from the
// content; small chunks so chunk boundaries get exercised) and each chunk
// through two parsers: cosine with the dimension taken from the data, and l2
// with a fixed dimension and renamed fields. Beyond "no crash", every record
// the l2 parser accepts must survive a round trip through
// append_record_jsonl() unchanged (id, vector bits, metadata): that is what
// vs-ingest --jsonl writes for the next tool to read.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fuzz_input.h"
#include "ingest/jsonl_parser.h"
#include "ingest/line_reader.h"

namespace {

void check_round_trip(vs::JsonlParser& parser, const vs::Record& record) {
  std::string line;
  vs::append_record_jsonl(line, record, parser.options().id_field, parser.options().vec_field);
  line.pop_back();  // the '\n'
  const size_t length = line.size();
  line.resize(length + vs::line_chunk_padding(), ' ');
  vs::Record again;
  vs::Status status = parser.parse_line(std::string_view(line.data(), length), "round-trip", 1, again);
  if (!status.ok()) {
    std::fprintf(stderr, "round trip rejected: %s\n", status.message().c_str());
    std::abort();
  }
  if (again.id != record.id || again.meta != record.meta || again.vec.size() != record.vec.size() ||
      std::memcmp(again.vec.data(), record.vec.data(), record.vec.size() * sizeof(float)) != 0) {
    std::fprintf(stderr, "round trip changed the record '%s'\n", record.id.c_str());
    std::abort();
  }
}

void parse_all(std::string_view bytes, vs::JsonlParser& parser, bool round_trip) {
  vs::fuzz::MemoryFile file(bytes);
  vs::LineReaderOptions options;
  options.chunk_bytes = 256;
  options.chunk_lines = 7;
  options.max_line_bytes = 1 << 16;
  auto reader = vs::LineReader::from_fd(file.fd(), "fuzz", {}, options);
  vs::LineChunk chunk;
  vs::ParsedChunk parsed;
  for (;;) {
    auto more = reader->next_chunk(chunk);
    if (!more.ok() || !*more) return;
    parser.parse_chunk(chunk, reader->name(), parsed);
    if (parsed.record_count > parsed.records.size() || parsed.record_lines.size() != parsed.record_count) {
      std::abort();
    }
    if (round_trip) {
      for (size_t i = 0; i < parsed.record_count; ++i) check_round_trip(parser, parsed.records[i]);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static vs::JsonlParser* cosine = [] {
    vs::IngestOptions options;
    options.metric = vs::Metric::kCosine;
    return new vs::JsonlParser(options);
  }();
  static vs::JsonlParser* l2 = [] {
    vs::IngestOptions options;
    options.metric = vs::Metric::kL2;
    options.dim = 3;
    options.id_field = "key";
    options.vec_field = "embedding";
    return new vs::JsonlParser(options);
  }();
  const std::string_view bytes = vs::fuzz::as_text(data, size);
  parse_all(bytes, *cosine, false);
  parse_all(bytes, *l2, true);
  return 0;
}
