// SearchService without sockets: requests are built by hand and pushed through
// on_headers / on_request / on_done as the HTTP server would.
#include "net/search_service.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <string>

#include "query/result_writer.h"
#include "shard_fixture.h"

namespace vs::net {
namespace {

class SearchServiceTest : public vs::testing::TwoShardTest {
 protected:
  void SetUp() override {
    TwoShardTest::SetUp();
    auto index = load_index({path("a.vsi"), path("b.vsi")});
    ASSERT_TRUE(index.ok()) << index.status().message();
    holder_ = std::make_unique<IndexHolder>(std::vector<std::string>{path("a.vsi"), path("b.vsi")}, *index);
    make_service({});
  }

  static HttpRequest make_request(std::string method, std::string path) {
    HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.started = std::chrono::steady_clock::now();
    return request;
  }

  void make_service(ServiceOptions options) {
    service_ = std::make_unique<SearchService>(*holder_, metrics_, std::move(options));
  }

  // The JSON text of document `i`'s vector.
  std::string vector_json(size_t i, size_t dim = vs::testing::kDim) const {
    std::string text = "[";
    for (size_t d = 0; d < dim; ++d) {
      if (d != 0) text += ',';
      char number[32];  // shortest round-trip text, so the server parses the very same floats
      float value = vectors_[i * vs::testing::kDim + d % vs::testing::kDim];
      auto end = std::to_chars(number, number + sizeof number, value).ptr;
      text.append(number, end);
    }
    return text + "]";
  }

  // One complete exchange, as HttpServer drives it.
  HttpResponse exchange(std::string method, std::string path, std::string body = "", std::string authorization = "") {
    HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.authorization = std::move(authorization);
    request.content_length = body.size();
    request.started = std::chrono::steady_clock::now();
    std::optional<HttpResponse> early = service_->on_headers(request);
    if (early) {
      service_->on_done(request, early->status);
      return *early;
    }
    request.body = std::move(body);
    HttpResponse response = service_->on_request(request);
    service_->on_done(request, response.status);
    return response;
  }

  HttpResponse post(const std::string& body) { return exchange("POST", "/search", body); }

  static bool has_header(const HttpResponse& response, const std::string& name, const std::string& value) {
    for (const auto& [n, v] : response.headers) {
      if (n == name && v == value) return true;
    }
    return false;
  }

  ServeMetrics metrics_;
  std::unique_ptr<IndexHolder> holder_;
  std::unique_ptr<SearchService> service_;
};

TEST_F(SearchServiceTest, OneQueryFindsItsDocumentFirst) {
  HttpResponse response = post(R"({"id":"q7","vector":)" + vector_json(7) + R"(,"k":3})");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_TRUE(response.body.starts_with(R"({"id":"q7","hits":[{"id":"doc7","score":0})")) << response.body;
  EXPECT_EQ(std::count(response.body.begin(), response.body.end(), '{'), 4);  // the result and 3 hits
}

TEST_F(SearchServiceTest, ResultsEqualShardSetSearch) {
  std::shared_ptr<const Index> index = holder_->current();
  SearchScratch scratch;
  std::vector<Hit> hits;
  std::vector<float> query(vectors_.begin() + 40 * vs::testing::kDim, vectors_.begin() + 41 * vs::testing::kDim);
  index->shards.search(query, SearchParams{.k = 10, .ef = 64}, scratch, hits);
  std::string want;
  append_result_line("x", hits, want);
  EXPECT_EQ(post(R"({"id":"x","vector":)" + vector_json(40) + "}").body, want);
}

TEST_F(SearchServiceTest, BatchAnswersInOrder) {
  HttpResponse response = post(R"({"queries":[{"id":"a","vector":)" + vector_json(1) + R"(,"k":1},{"vector":)" +
                               vector_json(2) + R"(,"k":1}]})");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body.substr(0, 12), R"({"results":[)");
  EXPECT_NE(response.body.find(R"({"id":"a","hits":[{"id":"doc1","score":0}]},{"id":"2","hits":[{"id":"doc2")"),
            std::string::npos)
      << response.body;
  EXPECT_TRUE(response.body.ends_with("]}\n"));
  EXPECT_EQ(post(R"({"queries":[]})").body, "{\"results\":[]}\n");
}

TEST_F(SearchServiceTest, BadBodiesAre400NamingTheProblem) {
  struct Case {
    std::string body;
    std::string message;
  };
  std::vector<Case> cases = {
      {"", "empty body"},
      {"[1,2]", "the body must be a JSON object"},
      {"{\"vector\": [1,2", "invalid JSON"},
      {R"({"vector":[1,2,3]})", "'vector' has 3 numbers, expected 8"},
      {R"({"vector":)" + vector_json(1) + R"(,"colour":"red"})", "unknown field 'colour'"},
      {R"({"vector":)" + vector_json(1) + R"(,"k":0})", "'k' must be a positive integer"},
      {R"({"vector":)" + vector_json(1) + R"(,"k":"ten"})", "'k' must be a positive integer"},
      {R"({"vector":)" + vector_json(1) + R"(,"k":1001})", "'k' must be at most 1000, got 1001"},
      {R"({"id":"q"})", "missing 'vector'"},
      {R"({"queries":{}})", "'queries' must be an array"},
      {R"({"queries":[7]})", "queries[0]: a query must be a JSON object"},
      {R"({"queries":[{"vector":)" + vector_json(1) + R"(},{"vector":[1]}]})",
       "queries[1]: 'vector' has 1 numbers, expected 8"},
      {R"({"queries":[{"vector":)" + vector_json(1) + R"(,"k":5000}]})", "queries[0]: 'k' must be at most 1000"},
      {R"({"queries":[],"k":3})", "a batch object holds only 'queries', found 'k'"},
      {R"({"queries":[]} {"queries":[]})", "unexpected text after the batch object"},
  };
  for (const Case& c : cases) {
    HttpResponse response = post(c.body);
    EXPECT_EQ(response.status, 400) << c.body;
    EXPECT_EQ(response.content_type, "application/json");
    EXPECT_TRUE(response.body.starts_with("{\"error\":\"")) << response.body;
    EXPECT_NE(response.body.find(c.message), std::string::npos) << c.body << " -> " << response.body;
  }
  EXPECT_EQ(metrics_.requests(400), cases.size());
  EXPECT_EQ(metrics_.inflight(), 0u);  // every admitted request gave its slot back
}

TEST_F(SearchServiceTest, BatchSizeIsCapped) {
  ServiceOptions options;
  options.max_batch = 2;
  make_service(options);
  std::string one = R"({"vector":)" + vector_json(3) + "}";
  EXPECT_EQ(post(R"({"queries":[)" + one + "," + one + "]}").status, 200);
  HttpResponse response = post(R"({"queries":[)" + one + "," + one + "," + one + "]}");
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(response.body.find("at most 2 queries"), std::string::npos) << response.body;
}

TEST_F(SearchServiceTest, RoutesAndMethods) {
  EXPECT_EQ(exchange("GET", "/nope").status, 404);
  HttpResponse wrong = exchange("GET", "/search");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_TRUE(has_header(wrong, "Allow", "POST"));
  HttpResponse post_info = exchange("POST", "/info", "{}");
  EXPECT_EQ(post_info.status, 405);
  EXPECT_TRUE(has_header(post_info, "Allow", "GET, HEAD"));
  HttpResponse health = exchange("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
}

TEST_F(SearchServiceTest, InfoDescribesTheIndex) {
  HttpResponse info = exchange("GET", "/info");
  ASSERT_EQ(info.status, 200);
  EXPECT_TRUE(info.body.starts_with(
      R"({"dim":8,"metric":"l2","count":600,"generation":0,"reloads":0,"fields":["group","n","tags"],"shards":[{"file":)"))
      << info.body;
  EXPECT_NE(info.body.find(R"("count":300,"bytes":)"), std::string::npos);
  EXPECT_NE(info.body.find(R"("header_checksum":")"), std::string::npos);
}

// Shards of two builds that index different fields: a filter on a field one
// of them lacks is a 400 naming that shard, never an answer missing its
// documents; /info lists only the fields every shard indexes.
TEST_F(SearchServiceTest, AFilterMustFitEveryShardServed) {
  write("group.vsi", 1, vs::testing::kDim, Metric::kL2, vs::testing::IndexedFields{.only = {"group"}});
  auto index = load_index({path("a.vsi"), path("group.vsi")});
  ASSERT_TRUE(index.ok()) << index.status().message();
  service_.reset();
  holder_ = std::make_unique<IndexHolder>(std::vector<std::string>{path("a.vsi"), path("group.vsi")}, *index);
  make_service({});

  HttpResponse response = post(R"({"vector":)" + vector_json(1) + R"(,"filter":{"n":{"lt":10}}})");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.body, "{\"error\":\"filter: shard '" + path("group.vsi") +
                               "': field 'n' is not indexed (indexed: group)\"}\n");
  response = post(R"({"queries":[{"vector":)" + vector_json(1) + R"(},{"vector":)" + vector_json(2) +
                  R"(,"filter":{"tags":"all"}}]})");
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(response.body.find("queries[1]: filter: shard '" + path("group.vsi") +
                               "': field 'tags' is not indexed"),
            std::string::npos)
      << response.body;
  response = post(R"({"vector":)" + vector_json(1) + R"(,"filter":{"group":"g1"}})");
  EXPECT_EQ(response.status, 200) << response.body;
  HttpResponse info = exchange("GET", "/info");
  EXPECT_NE(info.body.find(R"("fields":["group"])"), std::string::npos) << info.body;
}

TEST_F(SearchServiceTest, MetricsCountRequestsQueriesAndLatency) {
  post(R"({"queries":[{"vector":)" + vector_json(1) + R"(},{"vector":)" + vector_json(2) + "}]}");
  post("nonsense");
  exchange("GET", "/nope");
  std::string text = exchange("GET", "/metrics").body;
  EXPECT_NE(text.find("vs_serve_requests_total{code=\"200\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vs_serve_requests_total{code=\"400\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("vs_serve_requests_total{code=\"404\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("vs_serve_queries_total 2\n"), std::string::npos);
  EXPECT_NE(text.find("vs_serve_search_duration_seconds_count 2\n"), std::string::npos);
  EXPECT_NE(text.find("vs_serve_search_duration_seconds_bucket{le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("vs_serve_inflight_requests 0\n"), std::string::npos);
}

TEST_F(SearchServiceTest, TokenGuardsAllButHealthz) {
  ServiceOptions options;
  options.token = "s3cret";
  make_service(options);
  EXPECT_EQ(exchange("GET", "/healthz").status, 200);
  HttpResponse missing = exchange("GET", "/info");
  EXPECT_EQ(missing.status, 401);
  EXPECT_TRUE(has_header(missing, "WWW-Authenticate", "Bearer"));
  EXPECT_EQ(exchange("GET", "/metrics", "", "Bearer s3creT").status, 401);
  EXPECT_EQ(exchange("POST", "/search", "{}", "Bearer s3cret2").status, 401);
  EXPECT_EQ(exchange("GET", "/info", "", "Bearer s3cret").status, 200);
  EXPECT_EQ(exchange("GET", "/info", "", "bearer s3cret").status, 200);
  EXPECT_EQ(exchange("POST", "/search", R"({"vector":)" + vector_json(1) + "}", "Bearer s3cret").status, 200);
}

TEST_F(SearchServiceTest, OversizedBodiesAre413) {
  ServiceOptions options;
  options.max_body_bytes = 100;
  make_service(options);
  HttpRequest declared = make_request("POST", "/search");
  declared.content_length = 101;
  std::optional<HttpResponse> early = service_->on_headers(declared);
  ASSERT_TRUE(early);
  EXPECT_EQ(early->status, 413);
  EXPECT_FALSE(declared.holds_slot);

  HttpRequest chunked = make_request("POST", "/search");
  ASSERT_FALSE(service_->on_headers(chunked));
  chunked.body_too_large = true;
  EXPECT_EQ(service_->on_request(chunked).status, 413);
  service_->on_done(chunked, 413);
  EXPECT_EQ(metrics_.inflight(), 0u);
}

TEST_F(SearchServiceTest, BeyondMaxInflightIs503WithRetryAfter) {
  ServiceOptions options;
  options.max_inflight = 2;
  make_service(options);
  HttpRequest first = make_request("POST", "/search");
  HttpRequest second = make_request("POST", "/search");
  HttpRequest third = make_request("POST", "/search");
  EXPECT_FALSE(service_->on_headers(first));
  EXPECT_FALSE(service_->on_headers(second));
  std::optional<HttpResponse> shed = service_->on_headers(third);
  ASSERT_TRUE(shed);
  EXPECT_EQ(shed->status, 503);
  EXPECT_TRUE(has_header(*shed, "Retry-After", "1"));
  // Monitoring still answers under load.
  EXPECT_EQ(exchange("GET", "/healthz").status, 200);
  service_->on_done(first, 0);  // a lost connection frees its slot too
  HttpRequest fourth = make_request("POST", "/search");
  EXPECT_FALSE(service_->on_headers(fourth));
  service_->on_done(second, 200);
  service_->on_done(fourth, 200);
  EXPECT_EQ(metrics_.inflight(), 0u);
}

TEST_F(SearchServiceTest, DrainingFailsHealthAndClosesConnections) {
  service_->start_draining();
  HttpResponse health = exchange("GET", "/healthz");
  EXPECT_EQ(health.status, 503);
  EXPECT_TRUE(health.close_connection);
  HttpResponse search = post(R"({"vector":)" + vector_json(1) + "}");
  EXPECT_EQ(search.status, 200);  // requests still arriving are answered
  EXPECT_TRUE(search.close_connection);
}

TEST_F(SearchServiceTest, RequestsKeepTheirIndexAcrossAReload) {
  std::shared_ptr<const Index> before = holder_->current();
  auto reloaded = holder_->reload();
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().message();
  EXPECT_NE(holder_->current().get(), before.get());
  EXPECT_EQ(holder_->reloads(), 1u);
  // The old index stays searchable while someone holds it.
  HttpResponse response = service_->search(*before, R"({"vector":)" + vector_json(5) + R"(,"k":1})");
  EXPECT_NE(response.body.find("\"doc5\""), std::string::npos) << response.body;
}

TEST_F(SearchServiceTest, ABadReloadKeepsTheOldIndex) {
  std::shared_ptr<const Index> before = holder_->current();
  // Replaced by rename, as vs-build does: truncating a mapped file in place
  // would make the old mapping fault (SIGBUS) under the requests using it.
  std::ofstream(path("b.vsi.new")) << "not a shard";
  ASSERT_EQ(std::rename(path("b.vsi.new").c_str(), path("b.vsi").c_str()), 0);
  auto reloaded = holder_->reload();
  ASSERT_FALSE(reloaded.ok());
  EXPECT_EQ(reloaded.status().code(), Code::kCorruption) << reloaded.status().message();
  EXPECT_EQ(holder_->current().get(), before.get());
  EXPECT_EQ(post(R"({"vector":)" + vector_json(9) + R"(,"k":1})").status, 200);
}

TEST(LoadIndexTest, MissingFilesAreIoErrors) {
  auto index = load_index({"/nonexistent/x.vsi"});
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), Code::kIoError);
}

}  // namespace
}  // namespace vs::net
