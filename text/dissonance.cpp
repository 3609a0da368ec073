#include "text/dissonance.hpp"

#include "text/unicode.hpp"

#include <algorithm>
#include <cstdlib>

// Built with -ffp-contract=off (text/CMakeLists.txt): an FMA for `novelty*0.7 + x*0.3` would
// change the last bit compared with Python.

namespace sonnet::text {

std::vector<std::string> words(std::string_view text) {
  return split_ws(lower(text));
}

judgement compute_dissonance(std::string_view user_input, std::string_view sonnet,
                             const vocabulary& cloud) {
  const auto user = words(user_input);
  const auto son = words(sonnet);
  if (user.empty() || son.empty())
    return judgement{0.5, pulse{}};

  const std::unordered_set<std::string> us(user.begin(), user.end());
  const std::unordered_set<std::string> ss(son.begin(), son.end());

  double novelty = 1.0;
  if (!cloud.empty()) {
    std::size_t unseen = 0;
    for (const auto& w : ss)
      unseen += cloud.count(w) == 0;
    novelty = static_cast<double>(unseen) / static_cast<double>(ss.size());
  }
  std::size_t common = 0;
  for (const auto& w : us)
    common += ss.count(w);
  const std::size_t either = us.size() + ss.size() - common; // never 0 here
  const double similarity = static_cast<double>(common) / static_cast<double>(either);

  judgement j;
  j.p.novelty = novelty;
  const auto nu = static_cast<long long>(user.size());
  const auto ns = static_cast<long long>(son.size());
  j.p.arousal = static_cast<double>(std::llabs(nu - ns)) / static_cast<double>(std::max(1LL, nu));
  j.p.entropy = std::min(1.0, static_cast<double>(either) / 50.0);
  j.dissonance = novelty * 0.7 + (1.0 - similarity) * 0.3;
  return j;
}

temperatures adjust_temperature(double d) {
  const double sonnet = d < 0.3 ? 0.6 : d < 0.7 ? 0.8 : 1.0;
  return {sonnet, 0.5 + d * 0.5};
}

std::vector<trigram> trigrams(std::string_view text) {
  auto w = words(text);
  std::vector<trigram> out;
  if (w.size() < 3)
    return out;
  out.reserve(w.size() - 2);
  for (std::size_t i = 0; i + 2 < w.size(); ++i)
    out.push_back({w[i], w[i + 1], w[i + 2]});
  return out;
}

void add_to_vocabulary(vocabulary& cloud, const std::vector<trigram>& tg) {
  for (const auto& t : tg)
    cloud.insert(t.begin(), t.end());
}

} // namespace sonnet::text
