#include "query/remote_shard.h"

#include "query/result_writer.h"

namespace vs {

void RemoteAnswer::reset(size_t queries) {
  ok = false;
  failure = {};
  retry_elsewhere = false;
  ids.clear();
  if (hits.size() < queries) hits.resize(queries);
  hits.resize(queries);
  for (auto& list : hits) list.clear();
}

void RemoteAnswer::fail(std::string address, std::string reason, bool retry) {
  ok = false;
  failure = ShardFailure{std::move(address), std::move(reason)};
  retry_elsewhere = retry;
}

void RemoteAnswer::add_hit(size_t query, std::string_view id, float score, std::string_view meta) {
  const std::string& owned = ids.emplace_back(id);
  std::string_view owned_meta;
  if (!meta.empty()) owned_meta = ids.emplace_back(meta);
  hits[query].push_back(Hit{owned, score, owned_meta});
}

void append_query_json(const Query& query, size_t default_k, size_t default_ef, std::string& out) {
  out += "{\"id\":";
  append_json_string(query.id, out);
  out += ",\"vector\":[";
  for (size_t i = 0; i < query.vector.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_score(query.vector[i], out);
  }
  out += "],\"k\":";
  out += std::to_string(query.k != 0 ? query.k : default_k);
  out += ",\"ef\":";
  out += std::to_string(query.ef != 0 ? query.ef : default_ef);
  if (!query.filter.empty()) {
    out += ",\"filter\":";
    append_filter_json(query.filter, out);
  }
  if (query.include == Query::Include::kAll) out += ",\"include\":true";
  if (query.include == Query::Include::kFields) {
    out += ",\"include\":[";
    for (size_t i = 0; i < query.include_fields.size(); ++i) {
      if (i > 0) out.push_back(',');
      append_json_string(query.include_fields[i], out);
    }
    out.push_back(']');
  }
  out.push_back('}');
}

bool result_matches(std::string_view result_id, const Query& query) { return result_id == query.id; }

}  // namespace vs
