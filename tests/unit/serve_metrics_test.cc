#include "net/serve_metrics.h"

#include <gtest/gtest.h>

namespace vs::net {
namespace {

TEST(ServeMetricsTest, HistogramBucketsAreCumulative) {
  ServeMetrics metrics;
  metrics.observe_search_seconds(0.00005);  // first bucket
  metrics.observe_search_seconds(0.003);    // le=0.005
  metrics.observe_search_seconds(100);      // +Inf only
  std::string text = metrics.render();
  EXPECT_NE(text.find("vs_serve_search_duration_seconds_bucket{le=\"0.0001\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vs_serve_search_duration_seconds_bucket{le=\"0.0025\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("vs_serve_search_duration_seconds_bucket{le=\"0.005\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("vs_serve_search_duration_seconds_bucket{le=\"2.5\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("vs_serve_search_duration_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("vs_serve_search_duration_seconds_count 3\n"), std::string::npos);
  EXPECT_NE(text.find("vs_serve_search_duration_seconds_sum 100.003050000\n"), std::string::npos);
}

TEST(ServeMetricsTest, TryEnterStopsAtTheLimit) {
  ServeMetrics metrics;
  EXPECT_TRUE(metrics.try_enter(2));
  EXPECT_TRUE(metrics.try_enter(2));
  EXPECT_FALSE(metrics.try_enter(2));
  EXPECT_EQ(metrics.inflight(), 2u);
  metrics.leave();
  EXPECT_TRUE(metrics.try_enter(2));
}

TEST(ServeMetricsTest, RendersCountersAndGauges) {
  ServeMetrics metrics;
  metrics.count_request(200);
  metrics.count_request(200);
  metrics.count_request(503);
  metrics.count_request(42);  // not an HTTP status: ignored
  metrics.add_queries(5);
  metrics.set_index(7, 1234);
  metrics.count_reload(true);
  metrics.count_reload(false);
  std::string text = metrics.render();
  EXPECT_NE(text.find("vs_serve_requests_total{code=\"200\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vs_serve_requests_total{code=\"503\"} 1\n"), std::string::npos);
  EXPECT_EQ(text.find("code=\"42\""), std::string::npos);
  EXPECT_NE(text.find("vs_serve_queries_total 5\n"), std::string::npos);
  EXPECT_NE(text.find("vs_serve_index_generation 7\n"), std::string::npos);
  EXPECT_NE(text.find("vs_serve_index_documents 1234\n"), std::string::npos);
  EXPECT_NE(text.find("vs_serve_reloads_total{result=\"ok\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("vs_serve_reloads_total{result=\"failed\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE vs_serve_requests_total counter\n"), std::string::npos);
}

}  // namespace
}  // namespace vs::net
