#include "emergent/brain.hpp"
#include "core/random_bits.hpp"

#include "emergent/json_fields.hpp"
#include "emergent/state_file.hpp"
#include "text/formatter.hpp"
#include "text/unicode.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

namespace sonnet::emergent {

// Every sum below is a left fold in the prototype's order, and this library is built without
// FMA contraction, so features and outputs equal the prototype's doubles bit for bit.

namespace {

using strings = std::vector<std::string>;

// --- features ---------------------------------------------------------------

// Python `sum(ints) / len(ints)`: exact integer sum, one rounding in the division.
double mean(long long sum, std::size_t n) {
  return static_cast<double>(sum) / static_cast<double>(n);
}

double population_variance(const std::vector<int>& counts, double mu) {
  double sum_sq = 0;
  for (int s : counts) {
    const double d = s - mu;
    sum_sq += d * d; // Python's d**2 is pow(d, 2.0), correctly rounded like d*d
  }
  return sum_sq / static_cast<double>(counts.size());
}

double mean_word_length(const strings& words) {
  if (words.empty())
    return 0.0;
  long long total = 0;
  for (const auto& w : words)
    total += static_cast<long long>(text::code_points(w)); // len() counts code points
  return mean(total, words.size());
}

double unique_ratio(const strings& words) {
  if (words.empty())
    return 0.0;
  const std::set<std::string> distinct(words.begin(), words.end());
  return mean(static_cast<long long>(distinct.size()), words.size());
}

bool is_shakespearean(const std::string& word) {
  // Exact membership, as the prototype's set: "'tis" and "thee," do not match (§2.2 VAGUE).
  static const std::set<std::string> archaic = {"thou", "thy",  "thee", "art",       "doth",  "hath",
                                                "tis",  "ere",  "wherefore", "hence", "thence", "whence"};
  return archaic.count(word) != 0;
}

double shakespeare_share(const strings& words) {
  if (words.empty())
    return 0.0;
  const auto hits = std::count_if(words.begin(), words.end(), is_shakespearean);
  return mean(static_cast<long long>(hits), words.size());
}

// |A ∩ B| / max(|A ∪ B|, 1) over the lines' lower-cased word sets.
double jaccard(const std::string& line_a, const std::string& line_b) {
  const strings a = text::split_ws(text::lower(line_a));
  const strings b = text::split_ws(text::lower(line_b));
  const std::set<std::string> set_a(a.begin(), a.end()), set_b(b.begin(), b.end());
  std::size_t common = 0;
  for (const auto& w : set_a)
    common += set_b.count(w);
  const std::size_t either = set_a.size() + set_b.size() - common;
  return mean(static_cast<long long>(common), std::max<std::size_t>(either, 1));
}

double mean_coherence(const strings& lines) {
  if (lines.size() < 2)
    return 0.0;
  double sum = 0;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i)
    sum += jaccard(lines[i], lines[i + 1]);
  return sum / static_cast<double>(lines.size() - 1);
}

// --- network ----------------------------------------------------------------

// Offsets of the layers in the parameter vector (§2.5).
constexpr std::size_t layer1_offset = 0;
constexpr std::size_t layer2_offset = hidden1_size * (feature_count + 1);          // 144
constexpr std::size_t output_offset = layer2_offset + hidden2_size * (hidden1_size + 1); // 280
static_assert(output_offset + hidden2_size + 1 == parameter_count);

// One tanh neuron: act = b + Σ w_i·x_i (left fold from the bias, i ascending), then tanh.
// Its parameters are w[0..nin-1] then b, starting at theta[first].
template <std::size_t nin>
double neuron(const parameter_vector& theta, std::size_t first, const std::array<double, nin>& x) {
  double act = theta[first + nin];
  for (std::size_t i = 0; i < nin; ++i)
    act += theta[first + i] * x[i];
  return prototype_tanh(act);
}

template <std::size_t nout, std::size_t nin>
std::array<double, nout> layer(const parameter_vector& theta, std::size_t offset,
                               const std::array<double, nin>& x) {
  std::array<double, nout> out{};
  for (std::size_t j = 0; j < nout; ++j)
    out[j] = neuron(theta, offset + j * (nin + 1), x);
  return out;
}

// Backpropagates through one layer. `delta[j]` is dLoss/d(pre-activation of neuron j); adds
// each weight's and bias's gradient to `grad` and returns dLoss/d(input i).
template <std::size_t nout, std::size_t nin>
std::array<double, nin> layer_backward(const parameter_vector& theta, std::size_t offset,
                                       const std::array<double, nin>& x,
                                       const std::array<double, nout>& delta,
                                       parameter_vector& grad) {
  std::array<double, nin> dx{};
  for (std::size_t j = 0; j < nout; ++j) {
    const std::size_t first = offset + j * (nin + 1);
    for (std::size_t i = 0; i < nin; ++i) {
      grad[first + i] = x[i] * delta[j];
      dx[i] += theta[first + i] * delta[j];
    }
    grad[first + nin] = delta[j];
  }
  return dx;
}

// dLoss/d(pre-activation) from dLoss/d(tanh output): tanh' = 1 − t².
template <std::size_t n>
std::array<double, n> through_tanh(const std::array<double, n>& t, const std::array<double, n>& dt) {
  std::array<double, n> delta{};
  for (std::size_t i = 0; i < n; ++i)
    delta[i] = (1 - t[i] * t[i]) * dt[i];
  return delta;
}

// ∇θ of (y − target)² at the pass `p`.
parameter_vector gradient(const parameter_vector& theta, const forward_pass& p, double target) {
  parameter_vector grad{};
  const std::array<double, 1> y{p.y};
  const std::array<double, 1> dy{2 * (p.y - target)};
  const auto dh2 = layer_backward<1>(theta, output_offset, p.h2, through_tanh(y, dy), grad);
  const auto dh1 = layer_backward<hidden2_size>(theta, layer2_offset, p.h1, through_tanh(p.h2, dh2), grad);
  layer_backward<hidden1_size>(theta, layer1_offset, p.x, through_tanh(p.h1, dh1), grad);
  return grad;
}

} // namespace

// --- public: features -------------------------------------------------------

feature_vector sonnet_features::to_vector() const {
  return {line_count / 14.0,
          avg_syllables / 15.0,
          std::min(syllable_variance / 5.0, 1.0),
          avg_word_length / 10.0,
          unique_word_ratio,
          shakespeare_score,
          coherence_score,
          novelty};
}

int brain_syllables(std::string_view line) {
  return std::max(1, text::count_syllables(line));
}

sonnet_features extract_features(std::string_view sonnet) {
  const strings lines = text::split_lf(text::strip(sonnet)); // never empty: "" gives {""}
  const strings words = text::split_ws(text::lower(sonnet));
  std::vector<int> counts;
  long long total = 0;
  for (const auto& line : lines) {
    counts.push_back(brain_syllables(line));
    total += counts.back();
  }
  sonnet_features f;
  f.line_count = static_cast<double>(lines.size());
  f.avg_syllables = mean(total, lines.size());
  f.syllable_variance = population_variance(counts, f.avg_syllables);
  f.avg_word_length = mean_word_length(words);
  f.unique_word_ratio = unique_ratio(words);
  f.shakespeare_score = shakespeare_share(words);
  f.coherence_score = mean_coherence(lines);
  return f;
}

// --- public: network --------------------------------------------------------

double prototype_tanh(double a) {
  if (a > 20)
    return 1.0;
  const double e = std::exp(2 * a);
  return (e - 1) / (e + 1);
}

forward_pass forward(const parameter_vector& theta, const feature_vector& x) {
  forward_pass p;
  p.x = x;
  p.h1 = layer<hidden1_size>(theta, layer1_offset, p.x);
  p.h2 = layer<hidden2_size>(theta, layer2_offset, p.h1);
  p.y = layer<1>(theta, output_offset, p.h2)[0];
  return p;
}

brain_state fresh_brain_state(std::mt19937_64& rng) {
  // uniform_real_distribution's algorithm is the library's choice; this mapping is fixed, so a
  // seed gives the same brain with any standard library. 53 random bits → [0, 1) → [−1, 1).
  brain_state s;
  auto draw = [&rng] { return unit_from_bits(rng()) * 2.0 - 1.0; };
  auto init_layer = [&](std::size_t offset, std::size_t nout, std::size_t nin) {
    for (std::size_t j = 0; j < nout; ++j) {
      for (std::size_t i = 0; i < nin; ++i)
        s.parameters[offset + j * (nin + 1) + i] = draw();
      s.parameters[offset + j * (nin + 1) + nin] = 0.0; // the prototype's bias starts at 0
    }
  };
  init_layer(layer1_offset, hidden1_size, feature_count);
  init_layer(layer2_offset, hidden2_size, hidden1_size);
  init_layer(output_offset, 1, hidden2_size);
  return s;
}

// --- public: the brain ------------------------------------------------------

double sonnet_brain::output(std::string_view sonnet) const {
  return forward(state_.parameters, extract_features(sonnet).to_vector()).y;
}

double sonnet_brain::score(std::string_view sonnet) const {
  return std::clamp(output(sonnet), 0.0, 1.0);
}

result<learn_step> sonnet_brain::learn(std::string_view sonnet, double target_quality) {
  if (!(target_quality >= 0.0 && target_quality <= 1.0))
    return fail(errc::invalid_argument, "learn: target quality must lie in [0, 1]");
  const forward_pass p = forward(state_.parameters, extract_features(sonnet).to_vector());
  const parameter_vector grad = gradient(state_.parameters, p, target_quality);
  for (std::size_t k = 0; k < parameter_count; ++k)
    state_.parameters[k] -= state_.lr * grad[k];
  const double d = p.y - target_quality;
  const learn_step step{p.y, d * d};
  state_.observations += 1;
  state_.running_loss += step.loss;
  state_.last_loss = step.loss;
  return step;
}

// --- public: sonnetbrain.json -----------------------------------------------

using namespace detail;

namespace {

result<parameter_vector> parameters(const json& obj, const std::string& origin) {
  if (obj.find("parameters") == obj.end())
    return bad_field(origin, "`parameters` is missing (289 numbers expected)");
  auto values = numbers_field(obj, "parameters", origin);
  if (!values)
    return values.err();
  if (values->size() != parameter_count)
    return bad_field(origin, "`parameters` has " + std::to_string(values->size()) +
                               " entries, the 8-16-8-1 network needs 289");
  parameter_vector theta{};
  std::copy(values->begin(), values->end(), theta.begin());
  return theta;
}

} // namespace

result<brain_state> parse_brain_state(std::string_view json_text, const std::string& origin) {
  auto doc = parse_json_object(json_text, origin);
  if (!doc)
    return doc.err();
  auto obs = count_field(*doc, "observations", origin);
  auto running = finite_field(*doc, "running_loss", 0.0, origin);
  auto last = finite_field(*doc, "last_loss", 0.0, origin);
  auto lr = finite_field(*doc, "lr", 0.01, origin);
  auto theta = parameters(*doc, origin);
  if (const error* e = first_error(obs, running, last, lr, theta))
    return *e;
  if (!(*lr > 0))
    return bad_field(origin, "`lr` must be positive");
  brain_state s;
  s.observations = *obs;
  s.running_loss = *running;
  s.last_loss = *last;
  s.lr = *lr;
  s.parameters = *theta;
  return s;
}

result<std::string> brain_state_json(const brain_state& s) {
  const bool finite = std::isfinite(s.running_loss) && std::isfinite(s.last_loss) &&
                      std::isfinite(s.lr) &&
                      std::all_of(s.parameters.begin(), s.parameters.end(),
                                  [](double v) { return std::isfinite(v); });
  if (!finite)
    return fail(errc::invalid_argument, "sonnetbrain state holds a non-finite number; not saved");
  nlohmann::ordered_json doc;
  doc["observations"] = s.observations;
  doc["running_loss"] = s.running_loss;
  doc["last_loss"] = s.last_loss;
  doc["lr"] = s.lr;
  doc["parameters"] = s.parameters;
  return doc.dump(2);
}

result<brain_state> load_brain_state(const std::string& path) {
  return load_state<brain_state>(path, parse_brain_state);
}

result<void> save_brain_state(const std::string& path, const brain_state& state) {
  return save_state(path, state, brain_state_json);
}

} // namespace sonnet::emergent
