#include "apps/sonnet/replies.hpp"

#include <cstdio>
#include <iomanip>
#include <iterator>
#include <sstream>

#include "messages/errors.hpp"

namespace sonnet::cli {

namespace {

std::string fixed(double x, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

} // namespace

std::string describe(const caf::error& e) {
  auto x = from_caf(e);
  return std::string{to_string(x.code)} + ": " + x.message;
}

std::string show(const caf::optional<double>& x) {
  return x ? fixed(*x, 3) : "-";
}

void print_sonnet(std::ostream& out, const sonnet_reply& r) {
  for (auto& l : r.lines)
    out << l << "\n";
  out << "-- #" << r.id << "  dissonance " << fixed(r.dissonance, 3) << " (novelty "
      << fixed(r.p.novelty, 3) << ", arousal " << fixed(r.p.arousal, 2) << ", entropy "
      << fixed(r.p.entropy, 2) << ")  quality " << fixed(r.quality, 3) << " (meter "
      << fixed(r.meter, 3) << ", rhymes " << r.rhyme_pairs << "/7)";
  if (r.brain)
    out << "  brain " << fixed(*r.brain, 3);
  out << "  temperature " << fixed(r.temperature, 3);
  if (!r.phase.empty())
    out << " (" << r.phase << ")";
  out << "  seed " << r.seed << "  " << r.tokens << " tokens  " << fixed(r.t.total_ms, 0)
      << " ms\n";
}

std::string render_phase(const phase_info& p) {
  std::ostringstream out;
  out << "Phase state:\n"
      << "  Current phase: " << p.phase << "\n"
      << "  Sonnet temp: " << fixed(p.temperature_sonnet, 2) << "\n"
      << "  Haiku temp: " << fixed(p.temperature_haiku, 2) << "\n"
      << "  Stability: " << fixed(p.stability, 2) << "\n"
      << "  Transition probability: " << fixed(p.transition_prob, 3) << "\n"
      << "  Duration: " << p.duration << " steps\n"
      << "  Observations: " << p.observations << "\n";
  return out.str();
}

std::string render_brain(const brain_report& b) {
  std::ostringstream out;
  if (b.id == 0) {
    out << "SonnetBrain status:\n"
        << "  Model: MLP (8->16->8->1), tanh, learning online from every stored sonnet\n"
        << "  Observations: " << b.observations << "\n"
        << "  Last loss: " << fixed(b.last_loss, 4) << "\n"
        << "  Usage: /brain <sonnet_id>\n";
    return out.str();
  }
  out << "SonnetBrain score for #" << b.id << ":\n"
      << "  Overall: " << fixed(b.score, 3) << " (network output " << fixed(b.output, 3)
      << ")\n"
      << "  Features:\n";
  for (size_t i = 0; i < b.features.size() && i < std::size(brain_feature_names); ++i)
    out << "    " << brain_feature_names[i] << ": " << fixed(b.features[i], 3) << "\n";
  return out.str();
}

} // namespace sonnet::cli
