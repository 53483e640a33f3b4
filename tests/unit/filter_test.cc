// The filter syntax: what parses, what each mistake says, and the canonical form.
#include "query/filter.h"

#include <gtest/gtest.h>

namespace vs {
namespace {

std::string canonical(std::string_view text) {
  auto filter = parse_filter(text);
  EXPECT_TRUE(filter.ok()) << text << ": " << filter.status().message();
  if (!filter.ok()) return "";
  std::string out;
  append_filter_json(*filter, out);
  return out;
}

std::string error_of(std::string_view text) {
  auto filter = parse_filter(text);
  EXPECT_FALSE(filter.ok()) << text << " should not parse";
  if (filter.ok()) return "";
  EXPECT_EQ(filter.status().code(), Code::kBadData);
  return filter.status().message();
}

TEST(FilterTest, ParsesEveryForm) {
  EXPECT_EQ(canonical(R"({"category": "news"})"), R"({"category":{"in":["news"]}})");
  EXPECT_EQ(canonical(R"({"year": 2020})"), R"({"year":{"in":[2020]}})");
  EXPECT_EQ(canonical(R"({"category": {"in": ["news", "sport", 3]}})"), R"({"category":{"in":["news","sport",3]}})");
  EXPECT_EQ(canonical(R"({"year": {"gte": 2020, "lt": 2024}})"), R"({"year":{"gte":2020,"lt":2024}})");
  EXPECT_EQ(canonical(R"({"year": {"gt": 1.5, "lte": 2}})"), R"({"year":{"gt":1.5,"lte":2}})");
  EXPECT_EQ(canonical(R"({"not": {"category": "news"}})"), R"({"not":{"category":{"in":["news"]}}})");
  EXPECT_EQ(canonical(R"({"or": [{"a": "x"}, {"b": 1}]})"), R"({"or":[{"a":{"in":["x"]}},{"b":{"in":[1]}}]})");
  EXPECT_EQ(canonical(R"({"a": "x", "b": {"eq": 2, "gte": 1}})"),
            R"({"and":[{"a":{"in":["x"]}},{"b":{"in":[2]}},{"b":{"gte":1}}]})");
  EXPECT_EQ(canonical(R"({"and": [{"a": "x"}, {"and": [{"b": 1}]}], "c": 2})"),
            R"({"and":[{"a":{"in":["x"]}},{"b":{"in":[1]}},{"c":{"in":[2]}}]})");
  EXPECT_EQ(canonical("{}"), "{}");
  EXPECT_EQ(canonical(R"({"k\"q": "\u00e9"})"), "{\"k\\\"q\":{\"in\":[\"\xc3\xa9\"]}}");
}

TEST(FilterTest, CanonicalFormParsesToItself) {
  for (const char* text : {R"({"a": {"in": ["x", 2]}, "not": {"or": [{"b": {"gt": -1e300}}, {"c": "y"}]}})",
                           R"({"year": {"gte": 0.1, "lt": 1e-7}})"}) {
    const std::string once = canonical(text);
    EXPECT_EQ(canonical(once), once);
  }
}

TEST(FilterTest, MistakesAreNamed) {
  EXPECT_EQ(error_of("[1]"), "filter: must be a JSON object");
  EXPECT_EQ(error_of(R"({"category": ["a", "b"]})"), R"(filter: 'category': a list of values needs {"in": [...]})");
  EXPECT_EQ(error_of(R"({"flag": true})"), "filter: 'flag': values must be strings or numbers");
  EXPECT_EQ(error_of(R"({"flag": null})"), "filter: 'flag': values must be strings or numbers");
  EXPECT_EQ(error_of(R"({"year": {"gte": "2020"}})"), "filter: 'year': 'gte' needs a number");
  EXPECT_EQ(error_of(R"({"year": {"between": [1, 2]}})"),
            "filter: 'year': unknown operator 'between' (expected eq, in, gt, gte, lt or lte)");
  EXPECT_EQ(error_of(R"({"year": {}})"), "filter: 'year': empty condition");
  EXPECT_EQ(error_of(R"({"c": {"in": []}})"), "filter: 'c': 'in' has an empty array");
  EXPECT_EQ(error_of(R"({"c": {"in": "news"}})"), "filter: 'c': 'in' needs an array");
  EXPECT_EQ(error_of(R"({"c": {"in": [{"x": 1}]}})"), "filter: 'c': values must be strings or numbers");
  EXPECT_EQ(error_of(R"({"y": {"gt": 1, "gte": 2}})"), "filter: 'y': more than one lower bound");
  EXPECT_EQ(error_of(R"({"y": {"lt": 1, "lte": 2}})"), "filter: 'y': more than one upper bound");
  EXPECT_EQ(error_of(R"({"y": {"eq": 1, "in": [2]}})"), "filter: 'y': 'eq' and 'in' cannot be combined");
  EXPECT_EQ(error_of(R"({"not": "x"})"), "filter: 'not' needs a filter object");
  EXPECT_EQ(error_of(R"({"not": {}})"), "filter: 'not' has an empty filter object");
  EXPECT_EQ(error_of(R"({"or": []})"), "filter: 'or' has an empty array");
  EXPECT_EQ(error_of(R"({"or": {"a": 1}})"), "filter: 'or' needs an array of filter objects");
  EXPECT_EQ(error_of(R"({"": 1})"), "filter: empty field name");
  EXPECT_EQ(error_of(R"({"a": 1} x)"), "filter: unexpected text after the object");
  EXPECT_EQ(error_of(R"({"a": )"), "filter: 'a': invalid JSON");
}

// Valid JSON of the wrong kind is "not an object" whatever the kind; only
// text that is not JSON at all is "invalid JSON".
TEST(FilterTest, ScalarsAreNotObjectsRatherThanInvalid) {
  for (const char* text : {"5", "-1.5e3", "null", "true", "false", R"("x")", "[1]", " 5 "}) {
    EXPECT_EQ(error_of(text), "filter: must be a JSON object") << text;
  }
  for (const char* text : {"news", "nul", "tru", "5 x", "5x", R"("x)", ""}) {
    EXPECT_EQ(error_of(text), "filter: invalid JSON") << text;
  }
}

TEST(FilterTest, DeepNestingIsAnErrorNotACrash) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += R"({"not":)";
  text += R"({"a":1})";
  for (int i = 0; i < 40; ++i) text += "}";
  auto filter = parse_filter(text);
  ASSERT_FALSE(filter.ok());
  EXPECT_NE(filter.status().message().find("nested more than"), std::string::npos) << filter.status().message();
}

}  // namespace
}  // namespace vs
