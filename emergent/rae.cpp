#include "emergent/rae.hpp"
#include "core/random_bits.hpp"

#include "emergent/json_fields.hpp"
#include "emergent/state_file.hpp"
#include "text/unicode.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace sonnet::emergent {

namespace {

using strings = std::vector<std::string>;

// The prototype's architectures (§6, §7).
constexpr std::size_t line_slots = 14;
const std::vector<std::size_t> line_sizes = {16, 8};
const std::vector<std::size_t> quatrain_sizes = {24, 16, 8};
const std::vector<std::size_t> couplet_sizes = {12, 8};
const std::vector<std::size_t> sonnet_sizes = {24, 16, 8};

// Where a feature is centred and how far from there it reaches ±1: about the mean and 2.5
// standard deviations of that feature over the lines of Shakespeare's sonnets (measured: 8.1 ± 1.1
// words, 42.6 ± 4.3 characters, words of 4.4 ± 0.7 code points, distinct ratio 0.98 ± 0.05;
// per line 0.83 ± 0.79 commas, 0.18 ± 0.38 full stops, 0.04 ± 0.2 '!' and '?'). A typical
// verse line is therefore ≈ 0 (and encodes to ≈ 0 with zero biases), and a sonnet's vector
// describes how its lines differ from typical verse, instead of every sonnet's nearly
// identical raw counts (see the header comment).
struct feature_scale {
  double typical, spread;
};
constexpr feature_scale words_scale{8, 3}, chars_scale{42, 12}, word_length_scale{4.4, 2},
  distinct_scale{1, 0.25};
constexpr feature_scale marks_scale[4] = {{1, 2}, {0.2, 1}, {0, 1}, {0, 1}}; // , . ! ?

double centred(double x, feature_scale s) {
  return std::clamp((x - s.typical) / s.spread, -1.0, 1.0);
}

double mean_length(const strings& words) {
  if (words.empty())
    return 0.0;
  std::size_t total = 0;
  for (const auto& w : words)
    total += text::code_points(w); // Python len(): code points
  return static_cast<double>(total) / static_cast<double>(words.size());
}

latent_vector to_latent(const std::vector<double>& v) {
  latent_vector out{};
  std::copy_n(v.begin(), latent_size, out.begin());
  return out;
}

void append(std::vector<double>& to, const latent_vector& v) {
  to.insert(to.end(), v.begin(), v.end());
}

// The first 14 lines of text.strip().split('\n'), padded with "" (§7 parse_sonnet_structure).
strings fourteen_lines(std::string_view text) {
  strings lines = text::split_lf(text::strip(text));
  lines.resize(line_slots);
  return lines;
}

latent_vector encode_line(const mlp& net, const line_features& f) {
  return to_latent(mlp_forward(net, std::vector<double>(f.begin(), f.end())));
}

// The network over the concatenation of lines[first, first + n).
latent_vector encode_group(const recursive_rae& rae, const mlp& net, const strings& lines,
                           std::size_t first, std::size_t n) {
  std::vector<double> x;
  for (std::size_t i = first; i < first + n; ++i)
    append(x, encode_line(rae.line, recursive_line_features(lines[i])));
  return to_latent(mlp_forward(net, x));
}

} // namespace

// --- the network --------------------------------------------------------------

std::size_t mlp_parameter_count(std::size_t inputs, const std::vector<std::size_t>& sizes) {
  std::size_t count = 0, nin = inputs;
  for (std::size_t nout : sizes) {
    count += nout * (nin + 1);
    nin = nout;
  }
  return count;
}

double uniform_weight(std::mt19937_64& rng) {
  return unit_from_bits(rng()) * 2.0 - 1.0;
}

mlp fresh_mlp(std::size_t inputs, std::vector<std::size_t> sizes, std::mt19937_64& rng) {
  mlp net{inputs, std::move(sizes), {}};
  net.parameters.reserve(mlp_parameter_count(net.inputs, net.sizes));
  std::size_t nin = net.inputs;
  for (std::size_t nout : net.sizes) {
    for (std::size_t j = 0; j < nout; ++j) {
      for (std::size_t i = 0; i < nin; ++i)
        net.parameters.push_back(uniform_weight(rng));
      net.parameters.push_back(0.0); // the prototype's bias starts at 0
    }
    nin = nout;
  }
  return net;
}

std::vector<double> mlp_forward(const mlp& net, const std::vector<double>& x) {
  std::vector<double> in = x, out;
  const double* p = net.parameters.data();
  for (std::size_t nout : net.sizes) {
    out.assign(nout, 0.0);
    for (std::size_t j = 0; j < nout; ++j, p += in.size() + 1) {
      double act = p[in.size()]; // left fold from the bias, inputs ascending
      for (std::size_t i = 0; i < in.size(); ++i)
        act += p[i] * in[i];
      out[j] = std::tanh(act); // saturates where the prototype's exp(2x) overflowed (defect 4)
    }
    in.swap(out);
  }
  return in;
}

// --- features -------------------------------------------------------------------

line_features flat_line_features(std::string_view line) {
  const strings words = text::split_ws(text::lower(line));
  const std::set<std::string> distinct(words.begin(), words.end());
  const double n = static_cast<double>(words.size());
  line_features f{};
  f[0] = centred(n, words_scale);
  f[1] = centred(static_cast<double>(text::code_points(line)), chars_scale);
  f[2] = centred(mean_length(words), word_length_scale);
  f[3] = centred(static_cast<double>(distinct.size()) / std::max(n, 1.0), distinct_scale);
  return f;
}

line_features recursive_line_features(std::string_view line) {
  line_features f = flat_line_features(line);
  const char marks[4] = {',', '.', '!', '?'};
  for (std::size_t k = 0; k < 4; ++k) {
    const auto count = std::count(line.begin(), line.end(), marks[k]);
    f[4 + k] = centred(static_cast<double>(count), marks_scale[k]);
  }
  return f;
}

double l2_norm(const latent_vector& v) {
  double sum = 0;
  for (double x : v)
    sum += x * x;
  return std::sqrt(sum);
}

double cosine_similarity(const latent_vector& a, const latent_vector& b) {
  const double na = l2_norm(a), nb = l2_norm(b);
  if (na == 0 || nb == 0)
    return 0.0;
  double dot = 0;
  for (std::size_t i = 0; i < latent_size; ++i)
    dot += a[i] * b[i];
  return dot / (na * nb);
}

// --- the encoders ---------------------------------------------------------------

sonnet_rae make_sonnet_rae(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  return {seed, fresh_mlp(line_feature_count, line_sizes, rng)};
}

latent_vector encode(const sonnet_rae& rae, std::string_view text) {
  latent_vector sum{};
  if (text::strip_view(text).empty())
    return sum;
  strings lines = text::split_lf(text::strip(text));
  lines.resize(std::min(lines.size(), line_slots));
  for (const auto& line : lines) { // missing slots are zero vectors: they encode to 0, add 0
    const latent_vector v = encode_line(rae.encoder, flat_line_features(line));
    for (std::size_t i = 0; i < latent_size; ++i)
      sum[i] += v[i];
  }
  for (double& x : sum)
    x /= static_cast<double>(line_slots);
  return sum;
}

recursive_rae make_recursive_rae(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  recursive_rae rae;
  rae.seed = seed;
  rae.line = fresh_mlp(line_feature_count, line_sizes, rng);
  rae.quatrain = fresh_mlp(4 * latent_size, quatrain_sizes, rng);
  rae.couplet = fresh_mlp(2 * latent_size, couplet_sizes, rng);
  rae.sonnet = fresh_mlp(4 * latent_size, sonnet_sizes, rng);
  return rae;
}

latent_vector encode(const recursive_rae& rae, std::string_view text) {
  if (text::strip_view(text).empty())
    return latent_vector{};
  const strings lines = fourteen_lines(text);
  std::vector<double> x;
  for (std::size_t q = 0; q < 3; ++q)
    append(x, encode_group(rae, rae.quatrain, lines, 4 * q, 4));
  append(x, encode_group(rae, rae.couplet, lines, 12, 2));
  return to_latent(mlp_forward(rae.sonnet, x));
}

// --- state files ----------------------------------------------------------------

using namespace detail;

namespace {

std::string shape_name(std::size_t inputs, const std::vector<std::size_t>& sizes) {
  std::string s = std::to_string(inputs);
  for (std::size_t n : sizes)
    s += "-" + std::to_string(n);
  return s;
}


result<std::uint64_t> seed_field(const json& doc, const std::string& origin) {
  const auto it = doc.find("seed");
  if (it == doc.end() || !it->is_number_unsigned())
    return bad_field(origin, "`seed` must be a non-negative integer");
  return it->get<std::uint64_t>();
}

// The shape {"inputs", "sizes"} of the network under `key`, checked against the expected one.
result<void> check_shape(const json& net, const std::string& key, std::size_t inputs,
                         const std::vector<std::size_t>& sizes, const std::string& origin) {
  const auto in = net.find("inputs");
  const auto sz = net.find("sizes");
  std::vector<std::size_t> found;
  bool ok = in != net.end() && in->is_number_unsigned() && sz != net.end() && sz->is_array();
  for (std::size_t i = 0; ok && i < sz->size(); ++i) {
    ok = (*sz)[i].is_number_unsigned();
    found.push_back(ok ? (*sz)[i].get<std::size_t>() : 0);
  }
  if (!ok)
    return bad_field(origin, "`" + key + "` needs `inputs` and `sizes` as non-negative integers");
  if (in->get<std::size_t>() != inputs || found != sizes)
    return bad_field(origin, "`" + key + "` is a " + shape_name(in->get<std::size_t>(), found) +
                               " network, expected " + shape_name(inputs, sizes));
  return {};
}

// The network under `key`: exactly the architecture inputs→sizes, all parameters finite.
result<mlp> mlp_field(const json& doc, const std::string& key, std::size_t inputs,
                      const std::vector<std::size_t>& sizes, const std::string& origin) {
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_object())
    return bad_field(origin, "`" + key + "` is missing or not an object");
  if (auto shape = check_shape(*it, key, inputs, sizes, origin); !shape)
    return shape.err();
  if (it->find("parameters") == it->end())
    return bad_field(origin, "`" + key + ".parameters` is missing");
  auto values = numbers_field(*it, "parameters", origin + ": `" + key + "`");
  if (!values)
    return values.err();
  const std::size_t want = mlp_parameter_count(inputs, sizes);
  if (values->size() != want)
    return bad_field(origin, "`" + key + ".parameters` has " + std::to_string(values->size()) +
                               " entries, the " + shape_name(inputs, sizes) + " network needs " +
                               std::to_string(want));
  return mlp{inputs, sizes, std::move(*values)};
}

bool all_finite(const mlp& net) {
  return std::all_of(net.parameters.begin(), net.parameters.end(),
                     [](double v) { return std::isfinite(v); });
}

nlohmann::ordered_json mlp_json(const mlp& net) {
  nlohmann::ordered_json j;
  j["inputs"] = net.inputs;
  j["sizes"] = net.sizes;
  j["parameters"] = net.parameters;
  return j;
}

} // namespace

result<sonnet_rae> parse_sonnet_rae(std::string_view json_text, const std::string& origin) {
  auto doc = parse_json_object(json_text, origin);
  if (!doc)
    return doc.err();
  auto seed = seed_field(*doc, origin);
  auto encoder = mlp_field(*doc, "encoder", line_feature_count, line_sizes, origin);
  if (const error* e = first_error(seed, encoder))
    return *e;
  return sonnet_rae{*seed, std::move(*encoder)};
}

result<recursive_rae> parse_recursive_rae(std::string_view json_text, const std::string& origin) {
  auto doc = parse_json_object(json_text, origin);
  if (!doc)
    return doc.err();
  auto seed = seed_field(*doc, origin);
  auto line = mlp_field(*doc, "line", line_feature_count, line_sizes, origin);
  auto quatrain = mlp_field(*doc, "quatrain", 4 * latent_size, quatrain_sizes, origin);
  auto couplet = mlp_field(*doc, "couplet", 2 * latent_size, couplet_sizes, origin);
  auto sonnet = mlp_field(*doc, "sonnet", 4 * latent_size, sonnet_sizes, origin);
  if (const error* e = first_error(seed, line, quatrain, couplet, sonnet))
    return *e;
  return recursive_rae{*seed, std::move(*line), std::move(*quatrain), std::move(*couplet),
                       std::move(*sonnet)};
}

result<std::string> sonnet_rae_json(const sonnet_rae& rae) {
  if (!all_finite(rae.encoder))
    return fail(errc::invalid_argument, "sonnetrae state holds a non-finite number; not saved");
  nlohmann::ordered_json doc;
  doc["seed"] = rae.seed;
  doc["encoder"] = mlp_json(rae.encoder);
  return doc.dump(2);
}

result<std::string> recursive_rae_json(const recursive_rae& rae) {
  if (!all_finite(rae.line) || !all_finite(rae.quatrain) || !all_finite(rae.couplet) ||
      !all_finite(rae.sonnet))
    return fail(errc::invalid_argument,
                "sonnetrae_recursive state holds a non-finite number; not saved");
  nlohmann::ordered_json doc;
  doc["seed"] = rae.seed;
  doc["line"] = mlp_json(rae.line);
  doc["quatrain"] = mlp_json(rae.quatrain);
  doc["couplet"] = mlp_json(rae.couplet);
  doc["sonnet"] = mlp_json(rae.sonnet);
  return doc.dump(2);
}

result<sonnet_rae> load_sonnet_rae(const std::string& path) {
  return load_state<sonnet_rae>(path, parse_sonnet_rae);
}

result<recursive_rae> load_recursive_rae(const std::string& path) {
  return load_state<recursive_rae>(path, parse_recursive_rae);
}

result<void> save_sonnet_rae(const std::string& path, const sonnet_rae& rae) {
  return save_state(path, rae, sonnet_rae_json);
}

result<void> save_recursive_rae(const std::string& path, const recursive_rae& rae) {
  return save_state(path, rae, recursive_rae_json);
}

} // namespace sonnet::emergent
