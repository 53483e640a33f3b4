// Metric: how two vectors are compared, and what a result's score means.
//
//   l2      distance = squared Euclidean; score = -sqrt(distance) (higher is better)
//   cosine  vectors are L2-normalised at ingest; distance = 1 - dot; score = dot
//   ip      distance = -dot; score = dot
// Every score is "higher is better", so results from any metric merge the same way.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vs {

enum class Metric : uint32_t { kL2 = 0, kCosine = 1, kIP = 2 };

inline std::string_view metric_name(Metric m) {
  switch (m) {
    case Metric::kL2: return "l2";
    case Metric::kCosine: return "cosine";
    case Metric::kIP: return "ip";
  }
  return "unknown";
}

inline std::optional<Metric> parse_metric(std::string_view name) {
  if (name == "l2") return Metric::kL2;
  if (name == "cosine") return Metric::kCosine;
  if (name == "ip") return Metric::kIP;
  return std::nullopt;
}

inline bool metric_valid(uint32_t raw) { return raw <= static_cast<uint32_t>(Metric::kIP); }

// Converts an internal distance (smaller is closer) to the user-facing score.
inline float score_from_distance(Metric m, float distance) {
  switch (m) {
    case Metric::kL2: return -std::sqrt(distance > 0 ? distance : 0.0f);
    case Metric::kCosine: return 1.0f - distance;
    case Metric::kIP: return -distance;
  }
  return -distance;
}

}  // namespace vs
