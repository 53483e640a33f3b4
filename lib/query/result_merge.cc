#include "query/result_merge.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <unordered_map>

#include "ingest/line_reader.h"
#include "query/result_writer.h"

namespace vs {

namespace od = simdjson::ondemand;

namespace {

Status json_error(simdjson::error_code error) {
  std::string text = simdjson::error_message(error);
  if (!text.empty() && text.back() == '.') text.pop_back();  // our messages end without one
  return Status::BadData("invalid JSON: " + text);
}

Status read_query_id(od::value& value, std::string& out) {
  od::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) return Status::BadData("'id' is not valid JSON");
  std::string_view text;
  if (type == od::json_type::string && value.get_string().get(text) == simdjson::SUCCESS) {
    out.assign(text);
    return Status::Ok();
  }
  int64_t number = 0;
  if (type == od::json_type::number && value.get_int64().get(number) == simdjson::SUCCESS) {
    out = std::to_string(number);
    return Status::Ok();
  }
  return Status::BadData("'id' must be a string or an integer");
}

Status read_hit(od::value& value, size_t index, std::vector<Hit>& out) {
  const std::string where = "hits[" + std::to_string(index) + "]";
  od::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) return Status::BadData(where + " is not an object");
  Hit hit;
  bool have_id = false;
  bool have_score = false;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return Status::BadData(where + ": bad field name");
    od::value member;
    simdjson::error_code error = field.value().get(member);
    if (error != simdjson::SUCCESS) return json_error(error);
    if (key == "id") {
      if (member.get_string().get(hit.id) != simdjson::SUCCESS) return Status::BadData(where + ".id is not a string");
      have_id = true;
    } else if (key == "score") {
      double score = 0;
      if (member.get_double().get(score) != simdjson::SUCCESS || !std::isfinite(static_cast<float>(score))) {
        return Status::BadData(where + ".score is not a finite number");
      }
      hit.score = static_cast<float>(score);
      have_score = true;
    } else if (key == "meta") {
      // Kept as written, so a merge passes metadata through untouched.
      od::object meta;
      if (member.get_object().get(meta) != simdjson::SUCCESS || meta.raw_json().get(hit.meta) != simdjson::SUCCESS) {
        return Status::BadData(where + ".meta is not an object");
      }
    }
  }
  if (!have_id) return Status::BadData(where + " has no 'id'");
  if (!have_score) return Status::BadData(where + " has no 'score'");
  out.push_back(hit);
  return Status::Ok();
}

Status read_hits(od::value& value, std::vector<Hit>& out) {
  od::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) return Status::BadData("'hits' must be an array");
  size_t index = 0;
  for (auto element : array) {
    od::value hit;
    simdjson::error_code error = element.get(hit);
    if (error != simdjson::SUCCESS) return json_error(error);
    VS_RETURN_IF_ERROR(read_hit(hit, index++, out));
  }
  return Status::Ok();
}

// A hit that owns its id: what buffered mode keeps once the parser moves on.
struct OwnedHit {
  std::string id;
  float score;
  std::string meta;
};

// All hits seen so far for one query id (buffered mode).
struct PendingQuery {
  std::string id;
  std::vector<OwnedHit> hits;
};

// Reduces `hits` to its top k (deduplicated), reusing `views` as scratch.
void keep_top_k(std::vector<OwnedHit>& hits, size_t k, std::vector<Hit>& views) {
  views.clear();
  for (const OwnedHit& hit : hits) views.push_back(Hit{hit.id, hit.score, hit.meta});
  merge_top_k(views, k);
  std::vector<OwnedHit> kept;
  kept.reserve(views.size());
  for (const Hit& hit : views) kept.push_back(OwnedHit{std::string(hit.id), hit.score, std::string(hit.meta)});
  hits = std::move(kept);
}

// One input stream with its own parser: a ResultLine's ids view that parser's
// buffer, so line n of every input stays readable while they are merged.
struct Input {
  std::unique_ptr<LineReader> reader;
  LineChunk chunk;
  size_t next_line = 0;  // into chunk.lines
  ResultLineParser parser;
  ResultLine current;
  bool exhausted = false;

  // Reads the next non-blank line into `current`; false at the end.
  Expected<bool> advance() {
    for (;;) {
      if (next_line == chunk.lines.size()) {
        next_line = 0;
        auto more = reader->next_chunk(chunk);
        if (!more.ok()) return more.status();
        if (!*more) {
          exhausted = true;
          return false;
        }
        continue;
      }
      size_t index = next_line++;
      if (chunk.lines[index].blank) continue;
      current.hits.clear();
      VS_RETURN_IF_ERROR(parser.parse(chunk.line(index), reader->name(), chunk.line_number(index), current));
      return true;
    }
  }
};

class Merger {
 public:
  Merger(std::vector<Input>& inputs, OutputStream& out, size_t k) : inputs_(inputs), writer_(out), k_(k) {}

  Expected<MergeStats> run() {
    for (;;) {
      size_t present = 0;
      for (Input& input : inputs_) {
        auto more = input.advance();
        if (!more.ok()) return more.status();
        present += *more ? 1 : 0;
      }
      if (present == 0) return stats_;
      if (present < inputs_.size() || !ids_agree()) break;
      VS_RETURN_IF_ERROR(write_current());
    }
    stats_.buffered = true;
    VS_RETURN_IF_ERROR(buffer_rest());
    VS_RETURN_IF_ERROR(write_buffered());
    return stats_;
  }

 private:
  bool ids_agree() const {
    for (const Input& input : inputs_) {
      if (input.current.id != inputs_.front().current.id) return false;
    }
    return true;
  }

  Status write_current() {
    views_.clear();
    for (const Input& input : inputs_) views_.insert(views_.end(), input.current.hits.begin(), input.current.hits.end());
    merge_top_k(views_, k_);
    ++stats_.queries;
    return writer_.write(inputs_.front().current.id, views_);
  }

  void add_to_buffer(const ResultLine& line) {
    auto [slot, inserted] = index_.try_emplace(line.id, pending_.size());
    if (inserted) pending_.push_back(PendingQuery{line.id, {}});
    PendingQuery& query = pending_[slot->second];
    for (const Hit& hit : line.hits) query.hits.push_back(OwnedHit{std::string(hit.id), hit.score, std::string(hit.meta)});
    // Trimming at 2k, not k, halves how often we re-sort while still bounding memory per query.
    if (query.hits.size() > 2 * k_) keep_top_k(query.hits, k_, views_);
  }

  // The lines already read (line n of every input that had one) come first,
  // then the rest round-robin, so "first appearance" has one fixed meaning.
  Status buffer_rest() {
    for (const Input& input : inputs_) {
      if (!input.exhausted) add_to_buffer(input.current);
    }
    for (;;) {
      size_t present = 0;
      for (Input& input : inputs_) {
        if (input.exhausted) continue;
        auto more = input.advance();
        if (!more.ok()) return more.status();
        if (!*more) continue;
        add_to_buffer(input.current);
        ++present;
      }
      if (present == 0) return Status::Ok();
    }
  }

  Status write_buffered() {
    for (PendingQuery& query : pending_) {
      views_.clear();
      for (const OwnedHit& hit : query.hits) views_.push_back(Hit{hit.id, hit.score, hit.meta});
      merge_top_k(views_, k_);
      ++stats_.queries;
      VS_RETURN_IF_ERROR(writer_.write(query.id, views_));
    }
    return Status::Ok();
  }

  std::vector<Input>& inputs_;
  ResultWriter writer_;
  size_t k_;
  std::vector<Hit> views_;
  std::vector<PendingQuery> pending_;
  std::unordered_map<std::string, size_t> index_;
  MergeStats stats_;
};

}  // namespace

Status ResultLineParser::parse(std::string_view line, std::string_view source, uint64_t line_number,
                               ResultLine& out) {
  // simdjson reads up to SIMDJSON_PADDING bytes past the end of its input, so
  // the line is copied into a buffer we own with that much room.
  padded_.resize(line.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(padded_.data(), line.data(), line.size());
  od::document doc;
  simdjson::error_code error =
      parser_.iterate(simdjson::padded_string_view(padded_.data(), line.size(), padded_.size())).get(doc);
  Status status = error != simdjson::SUCCESS ? json_error(error) : parse_object(doc, out);
  if (status.ok()) return status;
  return std::move(status).with_context(std::string(source) + ":" + std::to_string(line_number));
}

Status ResultLineParser::parse_object(od::document& doc, ResultLine& out) {
  od::object object;
  simdjson::error_code error = doc.get_object().get(object);
  if (error == simdjson::INCORRECT_TYPE) return Status::BadData("a result line must be a JSON object");
  if (error != simdjson::SUCCESS) return json_error(error);
  bool have_id = false;
  bool have_hits = false;
  out.hits.clear();
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return Status::BadData("invalid JSON: bad field name");
    od::value value;
    if ((error = field.value().get(value)) != simdjson::SUCCESS) return json_error(error);
    if (key == "id") {
      VS_RETURN_IF_ERROR(read_query_id(value, out.id));
      have_id = true;
    } else if (key == "hits") {
      VS_RETURN_IF_ERROR(read_hits(value, out.hits));
      have_hits = true;
    }
  }
  // On-Demand stops at the object's close; anything after it is an error.
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) {
    return Status::BadData("unexpected text after the result object");
  }
  if (!have_id) return Status::BadData("missing 'id'");
  if (!have_hits) return Status::BadData("missing 'hits'");
  return Status::Ok();
}

Expected<MergeStats> merge_results(const std::vector<std::string>& inputs, OutputStream& out,
                                   const MergeOptions& options) {
  if (inputs.empty()) return Status::Usage("no result streams to merge");
  if (options.k == 0) return Status::Usage("k must be positive");
  size_t stdin_count = 0;
  for (const std::string& path : inputs) stdin_count += path == "-" ? 1 : 0;
  if (stdin_count > 1) return Status::Usage("'-' (stdin) can be given only once");
  std::vector<Input> streams;
  streams.reserve(inputs.size());
  for (const std::string& path : inputs) {
    auto reader = LineReader::open(path);
    if (!reader.ok()) return reader.status();
    streams.emplace_back();
    streams.back().reader = std::move(reader).value();
  }
  try {
    Merger merger(streams, out, options.k);
    auto stats = merger.run();
    if (!stats.ok()) return stats;
    VS_RETURN_IF_ERROR(out.flush());
    return stats;
  } catch (const std::bad_alloc&) {
    return Status::IoError("out of memory");
  }
}

}  // namespace vs
