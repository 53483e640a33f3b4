#include "index/search_context.h"

#include <algorithm>

namespace vs {

void VisitedSet::reset(uint32_t count) {
  if (stamps_.size() < count) {
    stamps_.assign(count, 0);
    epoch_ = 0;
  }
  if (++epoch_ == 0) {
    // The 16-bit epoch wrapped: old stamps could collide with new ones.
    std::fill(stamps_.begin(), stamps_.end(), uint16_t{0});
    epoch_ = 1;
  }
}

}  // namespace vs
