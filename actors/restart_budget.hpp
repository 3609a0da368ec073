#pragma once
// How often a supervised actor may be restarted: at most N times in any minute, so a part that
// dies on every message does not spin; past that it stays down.

#include <chrono>
#include <deque>

namespace sonnet {

class restart_budget {
public:
  using clock = std::chrono::steady_clock;

  /// True if a restart may happen at `now` (fewer than `per_minute` in the last minute), and
  /// counts it.
  bool take(int per_minute, clock::time_point now = clock::now()) {
    while (!recent_.empty() && now - recent_.front() > std::chrono::minutes(1))
      recent_.pop_front();
    if (static_cast<int>(recent_.size()) >= per_minute)
      return false;
    recent_.push_back(now);
    return true;
  }

private:
  std::deque<clock::time_point> recent_; ///< restarts within the last minute, oldest first
};

} // namespace sonnet
