// Fuzz target: the .vsi shard loader (lib/format/shard_reader.h) and search
// over whatever it accepts.
//
// The contract under test: ShardReader::open() checks the layout in O(1);
// a shard it accepts may still hold corrupt section contents (only verify()
// checksums them), and vs-query without --verify searches it anyway. So for
// any file open() accepts, HNSW search, exact search and id/metadata lookups
// must stay inside the mapping whatever verify() says; so must the field
// index lookups filters use, and a filtered search must return only nodes
// its AllowedSet holds.
//
// Checksums would stop nearly every mutation at the header, so each input is
// also tried "repaired": section checksums, section table checksum, header
// checksum, file size and trailer recomputed, which lets the fuzzer reach the
// layout checks and the graph behind them.
//
// Limitation: the file is mapped, and ASan does not see a read past the end
// of a mapping that stays inside its last page.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "format/shard_layout.h"
#include "format/shard_reader.h"
#include "fuzz_input.h"
#include "index/exact_search.h"
#include "index/filtered_search.h"
#include "index/hnsw_search.h"
#include "util/hash.h"

namespace {

using vs::format::SectionEntry;
using vs::format::ShardHeader;
using vs::format::ShardTrailer;

std::string repaired(std::string bytes) {
  if (bytes.size() < sizeof(ShardHeader) + sizeof(ShardTrailer)) return bytes;
  ShardHeader header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  const uint32_t sections = std::min<uint32_t>(header.section_count, 16);
  const size_t table_bytes = sections * sizeof(SectionEntry);
  if (sizeof(ShardHeader) + table_bytes <= bytes.size()) {
    for (uint32_t i = 0; i < sections; ++i) {
      SectionEntry entry;
      char* at = bytes.data() + sizeof(ShardHeader) + i * sizeof(SectionEntry);
      std::memcpy(&entry, at, sizeof(entry));
      if (entry.offset <= bytes.size() && entry.bytes <= bytes.size() - entry.offset) {
        entry.checksum = vs::checksum64(bytes.data() + entry.offset, entry.bytes);
        std::memcpy(at, &entry, sizeof(entry));
      }
    }
    header.section_table_checksum = vs::checksum64(bytes.data() + sizeof(ShardHeader), table_bytes);
  }
  header.file_bytes = bytes.size();
  header.header_checksum = vs::checksum64(&header, offsetof(ShardHeader, header_checksum));
  std::memcpy(bytes.data(), &header, sizeof(header));
  ShardTrailer trailer{};
  std::memcpy(trailer.magic, vs::format::kShardTrailerMagic, sizeof(trailer.magic));
  trailer.file_bytes = bytes.size();
  trailer.header_checksum = header.header_checksum;
  std::memcpy(bytes.data() + bytes.size() - sizeof(trailer), &trailer, sizeof(trailer));
  return bytes;
}

void open_and_search(const std::string& bytes) {
  vs::fuzz::MemoryFile file(bytes);
  auto reader = vs::ShardReader::open(file.path());
  if (!reader.ok()) return;
  const vs::ShardReader& shard = **reader;
  (void)shard.verify();
  if (shard.dim() > 4096) return;  // a query this wide would only measure memset

  std::vector<float> query(shard.dim());
  for (size_t i = 0; i < query.size(); ++i) query[i] = 0.25f * static_cast<float>(i % 7) - 0.5f;
  vs::SearchContext context;
  std::vector<vs::Neighbor> found;
  size_t id_bytes = 0;
  vs::hnsw_search(shard.graph(), query, 5, 16, context, found);
  for (const vs::Neighbor& n : found) {
    if (n.node >= shard.count()) std::abort();
    id_bytes += shard.id(n.node).size() + shard.meta(n.node).size();
  }
  vs::exact_search(shard.graph(), query, 3, context, found);
  for (const vs::Neighbor& n : found) {
    if (n.node >= shard.count()) std::abort();
    id_bytes += shard.id(n.node).size() + shard.meta(n.node).size();
  }
  if (id_bytes > bytes.size() * 2 * 8) std::abort();  // views must lie inside the file

  // Every field's lookups, and a filtered search over what they allow.
  const vs::FieldIndex& fields = shard.fields();
  vs::AllowedSet allowed;
  allowed.reset(shard.count(), false);
  for (size_t f = 0; f < fields.field_count(); ++f) {
    const size_t values = std::min<size_t>(fields.string_value_count(f), 64);
    for (size_t v = 0; v < values; ++v) {
      (void)fields.postings(f, fields.string_value(f, v));
      for (uint32_t node : fields.postings_at(f, v)) allowed.insert(node);
    }
    const vs::FieldIndex::NumberRun run = fields.numbers(f);
    for (size_t i = 0; i < std::min<size_t>(run.nodes.size(), 1024); ++i) allowed.insert(run.nodes[i]);
  }
  for (vs::FilterPlan::Kind kind : {vs::FilterPlan::Kind::kExact, vs::FilterPlan::Kind::kGraph}) {
    const vs::FilterPlan plan{kind, allowed.count(), shard.count(), 16};
    vs::filtered_search(shard.graph(), query, 5, allowed, plan, context, found);
    for (const vs::Neighbor& n : found) {
      if (n.node >= shard.count() || !allowed.contains(n.node)) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(vs::fuzz::as_text(data, size));
  open_and_search(bytes);
  std::string fixed = repaired(bytes);
  if (fixed != bytes) open_and_search(fixed);
  return 0;
}
