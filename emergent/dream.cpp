#include "emergent/dream.hpp"
#include "core/random_bits.hpp"

#include "emergent/json_fields.hpp"
#include "emergent/state_file.hpp"
#include "text/unicode.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sonnet::emergent {

namespace {

double distance(const latent_vector& a, const latent_vector& b) {
  latent_vector d{};
  for (std::size_t i = 0; i < latent_size; ++i)
    d[i] = a[i] - b[i];
  return l2_norm(d);
}

constexpr double two_pi = 6.283185307179586476925;

double unit_draw(std::mt19937_64& rng) {
  return unit_from_bits(rng());
}

// Mean pairwise distance of v[first..], pairs (i < j) in order.
double mean_pairwise_distance(const std::vector<latent_vector>& v, std::size_t first) {
  double sum = 0;
  std::size_t pairs = 0;
  for (std::size_t i = first; i < v.size(); ++i)
    for (std::size_t j = i + 1; j < v.size(); ++j, ++pairs)
      sum += distance(v[i], v[j]);
  return pairs == 0 ? 0.0 : sum / static_cast<double>(pairs);
}

} // namespace

// --- the modes ------------------------------------------------------------------

latent_path dream_drift(const recursive_rae& rae, std::string_view a, std::string_view b,
                        std::size_t steps) {
  const latent_vector va = encode(rae, a), vb = encode(rae, b);
  latent_path path;
  for (std::size_t k = 0; k < steps; ++k) {
    const double alpha =
      steps == 1 ? 0.5 : static_cast<double>(k) / static_cast<double>(steps - 1);
    latent_vector v{};
    for (std::size_t i = 0; i < latent_size; ++i)
      v[i] = (1 - alpha) * va[i] + alpha * vb[i];
    path.push_back(v);
  }
  return path;
}

std::array<double, 2> normal_pair(std::mt19937_64& rng) {
  const double u1 = 1.0 - unit_draw(rng); // (0, 1]: log never sees 0
  const double u2 = unit_draw(rng);
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = two_pi * u2;
  return {r * std::cos(theta), r * std::sin(theta)};
}

latent_vector random_direction(std::mt19937_64& rng) {
  latent_vector d{};
  double norm = 0;
  while (norm == 0) { // all 8 normals 0 needs four u1 == 1 draws: redraw rather than divide by 0
    for (std::size_t i = 0; i < latent_size; i += 2) {
      const auto z = normal_pair(rng);
      d[i] = z[0], d[i + 1] = z[1];
    }
    norm = l2_norm(d);
  }
  for (double& x : d)
    x /= norm;
  return d;
}

result<latent_path> dream_walk(const recursive_rae& rae, std::string_view start,
                               std::size_t steps, double step_size, std::uint64_t seed) {
  if (!(std::isfinite(step_size) && step_size >= 0))
    return fail(errc::invalid_argument, "dream walk: the step size must be finite and >= 0");
  latent_path path;
  if (steps == 0)
    return path;
  std::mt19937_64 rng(seed);
  path.push_back(encode(rae, start));
  while (path.size() < steps) {
    const latent_vector d = random_direction(rng);
    latent_vector next = path.back();
    for (std::size_t i = 0; i < latent_size; ++i)
      next[i] += step_size * d[i];
    path.push_back(next);
  }
  return path;
}

latent_vector dream_centroid(const recursive_rae& rae, const std::vector<std::string>& texts) {
  latent_vector sum{};
  if (texts.empty())
    return sum;
  for (const auto& t : texts) {
    const latent_vector v = encode(rae, t);
    for (std::size_t i = 0; i < latent_size; ++i)
      sum[i] += v[i];
  }
  for (double& x : sum)
    x /= static_cast<double>(texts.size());
  return sum;
}

// --- the state ------------------------------------------------------------------

dream_state fresh_dream_state(std::uint64_t seed) {
  dream_state s;
  s.rae = make_recursive_rae(seed);
  return s;
}

void remember(dream_state& state, const latent_path& path) {
  state.vectors.insert(state.vectors.end(), path.begin(), path.end());
  state.observations += path.size();
  if (state.vectors.size() > dream_memory)
    state.vectors.erase(state.vectors.begin(),
                        state.vectors.end() - static_cast<std::ptrdiff_t>(dream_memory));
}

dream_stats statistics(const dream_state& state) {
  dream_stats st;
  const auto& v = state.vectors;
  st.count = v.size();
  st.observations = state.observations;
  if (v.empty())
    return st;
  double norms = 0;
  for (const auto& x : v)
    norms += l2_norm(x);
  st.mean_norm = norms / static_cast<double>(v.size());
  st.diversity = mean_pairwise_distance(v, v.size() - std::min(v.size(), diversity_window));
  return st;
}

// --- the file -------------------------------------------------------------------

using namespace detail;

namespace {


result<latent_vector> latent_field(const json& v, std::size_t k, const std::string& origin) {
  const std::string name = "`dream_vectors[" + std::to_string(k) + "]";
  if (!v.is_array() || v.size() != latent_size)
    return bad_field(origin, name + "` must be an array of 8 numbers");
  latent_vector out{};
  for (std::size_t i = 0; i < latent_size; ++i) {
    if (!is_finite_number(v[i]))
      return bad_field(origin, name + "[" + std::to_string(i) + "]` is not a finite number");
    out[i] = v[i].get<double>();
  }
  return out;
}

result<std::vector<latent_vector>> vectors_field(const json& doc, const std::string& origin) {
  const auto it = doc.find("dream_vectors");
  if (it == doc.end() || !it->is_array())
    return bad_field(origin, "`dream_vectors` must be an array of vectors");
  if (it->size() > dream_memory)
    return bad_field(origin, "`dream_vectors` holds " + std::to_string(it->size()) +
                               " vectors, at most 50 are kept");
  std::vector<latent_vector> out;
  for (std::size_t k = 0; k < it->size(); ++k) {
    auto v = latent_field((*it)[k], k, origin);
    if (!v)
      return v.err();
    out.push_back(*v);
  }
  return out;
}

result<recursive_rae> encoder_field(const json& doc, const std::string& origin) {
  const auto it = doc.find("encoder");
  if (it == doc.end() || !it->is_object())
    return bad_field(origin, "`encoder` is missing or not an object");
  return parse_recursive_rae(it->dump(), origin + ": `encoder`");
}

result<std::uint64_t> observations_field(const json& doc, const std::string& origin) {
  if (doc.find("observations") == doc.end())
    return bad_field(origin, "`observations` is missing");
  return count_field(doc, "observations", origin);
}

} // namespace

result<dream_state> parse_dream_state(std::string_view json_text, const std::string& origin) {
  auto doc = parse_json_object(json_text, origin);
  if (!doc)
    return doc.err();
  auto obs = observations_field(*doc, origin);
  auto vectors = vectors_field(*doc, origin);
  auto rae = encoder_field(*doc, origin);
  if (const error* e = first_error(obs, vectors, rae))
    return *e;
  if (*obs < vectors->size())
    return bad_field(origin, "`observations` is smaller than the number of `dream_vectors`");
  return dream_state{std::move(*rae), *obs, std::move(*vectors)};
}

result<std::string> dream_state_json(const dream_state& state) {
  if (state.vectors.size() > dream_memory)
    return fail(errc::invalid_argument, "dream state holds more than 50 vectors; not saved");
  for (const auto& v : state.vectors)
    if (!std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); }))
      return fail(errc::invalid_argument, "dream state holds a non-finite number; not saved");
  auto encoder = recursive_rae_json(state.rae);
  if (!encoder)
    return encoder.err();
  nlohmann::ordered_json doc;
  doc["observations"] = state.observations;
  doc["dream_vectors"] = state.vectors;
  doc["encoder"] = nlohmann::ordered_json::parse(*encoder);
  return doc.dump(2);
}

result<dream_state> load_dream_state(const std::string& path) {
  return load_state<dream_state>(path, parse_dream_state);
}

result<void> save_dream_state(const std::string& path, const dream_state& state) {
  return save_state(path, state, dream_state_json);
}

// --- the command ----------------------------------------------------------------

namespace {

std::string fixed3(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", x);
  return buf;
}

// "[a, b, c]... (8D)": the first three components, as the prototype printed its vector.
std::string head3(const latent_vector& v) {
  return "[" + fixed3(v[0]) + ", " + fixed3(v[1]) + ", " + fixed3(v[2]) + "]... (8D)";
}

double path_length(const latent_path& path) {
  double sum = 0;
  for (std::size_t k = 1; k < path.size(); ++k)
    sum += distance(path[k - 1], path[k]);
  return sum;
}

void render_path(const dream_result& r, std::vector<std::string>& out) {
  const latent_path& p = r.path;
  out.push_back(r.mode == "drift"
                  ? "  Drift from the newest sonnet to the one before: " +
                      std::to_string(p.size()) + " vectors"
                  : "  Walk from the newest sonnet: " + std::to_string(p.size()) + " vectors");
  out.push_back("  Start: " + head3(p.front()) + ", norm " + fixed3(l2_norm(p.front())));
  out.push_back("  End: " + head3(p.back()) + ", norm " + fixed3(l2_norm(p.back())));
  out.push_back("  Path length: " + fixed3(path_length(p)));
}

} // namespace

std::string dream_mode_word(std::string_view command_line) {
  const auto tokens = text::split_ws(command_line);
  return tokens.size() > 1 ? tokens[1] : "walk";
}

dream_result run_dream(const recursive_rae& rae, std::string_view mode,
                       const std::vector<std::string>& recent, std::uint64_t seed) {
  dream_result r{mode.empty() ? "walk" : std::string(mode), recent.size(), {}};
  if (recent.size() < 2)
    return r;
  if (r.mode == "drift")
    r.path = dream_drift(rae, recent[0], recent[1], 5);
  else if (r.mode == "walk")
    r.path = *dream_walk(rae, recent[0], 10, 0.3, seed); // 0.3 is a valid step: never fails
  else if (r.mode == "centroid")
    r.path = {dream_centroid(rae, recent)};
  return r;
}

std::vector<std::string> render_dream(const dream_result& r) {
  std::vector<std::string> out{"Dream mode: " + r.mode};
  if (r.sonnets < 2) {
    out.push_back("  Need at least 2 sonnets in cloud for dreaming");
  } else if (r.mode == "centroid" && !r.path.empty()) {
    out.push_back("  Centroid of " + std::to_string(r.sonnets) + " recent sonnets");
    out.push_back("  Dream vector: " + head3(r.path.front()));
    out.push_back("  Norm: " + fixed3(l2_norm(r.path.front())));
  } else if ((r.mode == "drift" || r.mode == "walk") && !r.path.empty()) {
    render_path(r, out);
  } else {
    out.push_back("  Unknown dream mode: " + r.mode);
    out.push_back("  Available: drift, walk, centroid");
  }
  return out;
}

std::vector<std::string> dream(dream_state& state, std::string_view mode,
                               const std::vector<std::string>& recent, std::uint64_t seed) {
  const dream_result r = run_dream(state.rae, mode, recent, seed);
  remember(state, r.path);
  std::vector<std::string> out = render_dream(r);
  if (!r.path.empty()) {
    const dream_stats st = statistics(state);
    out.push_back("  Dream memory: " + std::to_string(st.count) + " vectors, mean norm " +
                  fixed3(st.mean_norm) + ", diversity " + fixed3(st.diversity));
  }
  return out;
}

} // namespace sonnet::emergent
