#include "emergent/metasonnet.hpp"

#include "text/formatter.hpp"
#include "text/unicode.hpp"

#include <cmath>
#include <vector>

namespace sonnet::emergent {

double metric_or_default(std::optional<double> value) {
  return value && std::isfinite(*value) ? *value : 0.5;
}

bool should_reflect(const reflection_metrics& m, const unit_draw& draw) {
  if (metric_or_default(m.dissonance) > 0.7)
    return true;
  if (metric_or_default(m.quality) > 0.75)
    return true;
  if (metric_or_default(m.arousal) > 0.6)
    return true;
  return draw() < 0.3;
}

// --- the bootstrap buffer ---------------------------------------------------

namespace {

// The first `n` code points of `s` (Python s[:n]); an ill-formed byte counts as one.
std::string_view first_code_points(std::string_view s, std::size_t n) {
  std::size_t pos = 0;
  for (std::size_t i = 0; i < n && pos < s.size(); ++i)
    pos += text::decode_at(s, pos).size;
  return s.substr(0, pos);
}

// The last `n` code points of `s` (Python s[-n:], for n > 0).
std::string_view last_code_points(std::string_view s, std::size_t n) {
  const std::size_t total = text::code_points(s);
  if (total <= n)
    return s;
  const std::size_t skip = first_code_points(s, total - n).size();
  return s.substr(skip);
}

} // namespace

std::string bootstrap_snippet(std::string_view sonnet) {
  const auto lines = text::split_lf(text::strip(sonnet));
  std::string joined = lines[0]; // split_lf never returns an empty list
  if (lines.size() > 1)
    joined += ' ' + lines[1];
  return std::string(first_code_points(joined, max_snippet_code_points));
}

bool feeds_bootstrap(const reflection_metrics& m) {
  return metric_or_default(m.dissonance) > 0.7 || metric_or_default(m.arousal) > 0.5 ||
         metric_or_default(m.quality) > 0.7;
}

bool bootstrap_buffer::feed(std::string_view sonnet, const reflection_metrics& m) {
  // The prototype skipped only an empty sonnet; a blank one would add an empty snippet.
  if (capacity_ == 0 || text::strip_view(sonnet).empty() || !feeds_bootstrap(m))
    return false;
  if (snippets_.size() == capacity_)
    snippets_.pop_front();
  snippets_.push_back(bootstrap_snippet(sonnet));
  return true;
}

// --- the reflection prompt --------------------------------------------------

std::string reflection_prompt(const bootstrap_buffer& buffer, std::string_view sonnet) {
  std::string seed;
  if (buffer.empty()) {
    seed = std::string(sonnet);
  } else {
    for (const auto& snippet : buffer.snippets())
      seed += snippet + ' '; // ' '.join(snippets) + ' '
    seed += first_code_points(sonnet, 100);
  }
  // The LAST code points: the model continues from the end of its prompt, and its window
  // (64 characters for the default model) only sees the end anyway. 400 code points are at
  // most 1600 bytes, under the service's 2000-byte prompt limit.
  std::string prompt(last_code_points(text::strip(seed), max_reflection_prompt - 1));
  prompt += '\n'; // the reflection starts on a line of its own
  return prompt;
}

// --- what is stored ---------------------------------------------------------

std::optional<reflection_row> reflection_to_store(std::string_view formatted,
                                                  std::optional<double> dissonance) {
  if (!text::validate(formatted).first)
    return std::nullopt;
  reflection_row row;
  row.text = std::string(formatted);
  row.dissonance = metric_or_default(dissonance);
  return row;
}

// --- rate limit -------------------------------------------------------------

bool reflection_limiter::try_start(clock::time_point now) {
  while (!starts_.empty() && starts_.front() <= now - window_)
    starts_.pop_front();
  if (in_flight_ || starts_.size() >= per_window_)
    return false;
  starts_.push_back(now);
  in_flight_ = true;
  return true;
}

} // namespace sonnet::emergent
