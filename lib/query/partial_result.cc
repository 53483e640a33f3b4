#include "query/partial_result.h"

#include "query/result_writer.h"

namespace vs {

void append_partial_result_line(std::string_view query_id, std::span<const Hit> hits, size_t total_shards,
                                std::span<const ShardFailure> failures, std::string& out) {
  append_result_line(query_id, hits, out);
  // Reopen the object: drop the closing "}\n" the complete line ends with.
  out.resize(out.size() - 2);
  out += ",\"partial\":true,\"shards\":{\"total\":";
  out += std::to_string(total_shards);
  out += ",\"successful\":";
  out += std::to_string(total_shards - failures.size());
  out += ",\"failed\":";
  out += std::to_string(failures.size());
  out += ",\"failures\":[";
  for (size_t i = 0; i < failures.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += "{\"shard\":";
    append_json_string(failures[i].shard, out);
    out += ",\"reason\":";
    append_json_string(failures[i].reason, out);
    out.push_back('}');
  }
  out += "]}}\n";
}

}  // namespace vs
