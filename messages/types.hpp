#pragma once
// The message structs: the system's wire contract. Each has an `inspect` so it can cross the
// network; every field is a plain value type. Doubles must be finite: CAF 0.17 packs floats by
// hand and loops forever on infinity, so values are validated before they are sent.

#include <cstdint>
#include <string>
#include <vector>

#include "caf/meta/type_name.hpp"
#include "caf/optional.hpp"

namespace sonnet {

/// How unfamiliar a sonnet is to the cloud, and how it differs from the user's words.
struct pulse {
  double novelty = 0;
  double arousal = 0;
  double entropy = 0;
};

/// Where a request's time went, in milliseconds.
struct timings {
  double model_ms = 0;
  double format_ms = 0;
  double judge_ms = 0;
  double total_ms = 0;
};

/// A client's request for one sonnet.
struct generate_request {
  /// The user's words: the model continues them, and the dissonance compares with them.
  std::string prompt;
  /// Sampling temperature; used only when `has_temperature`, else adapted from the last dissonance.
  double temperature = 0;
  bool has_temperature = false;
  /// Seed of the sampler; used only when `has_seed`, else drawn at random (and reported).
  uint64_t seed = 0;
  bool has_seed = false;
  /// Total token budget; 0 means the service default.
  int32_t tokens = 0;
  /// Top-k sampling; 0 means the whole vocabulary.
  int32_t top_k = 0;
  /// Best-of-N: candidates sampled (each with its own seed and the whole token budget); the
  /// best-scoring valid one is stored. 0 or 1 means one.
  int32_t candidates = 1;
  /// Where the temperature comes from when none is given (temperature_policy values): the
  /// service's default, the last dissonance's band, or the emergent layer's phase.
  int32_t temperature_policy = 0;
};

/// generate_request::temperature_policy.
enum class temperature_policy : int32_t {
  /// The service's configured policy.
  service_default = 0,
  /// text::adjust_temperature of the last stored sonnet's dissonance (the prototype's harmonix).
  bands = 1,
  /// PhaseTransitions' sonnet temperature (the prototype's REPL): emergent/phases.hpp.
  phases = 2,
};

/// Meter and rhyme of one sonnet line (text/prosody.hpp).
struct line_analysis {
  /// Syllables (CMU pronouncing dictionary; spelling fallback for unknown words).
  int32_t syllables = 0;
  /// Stress per syllable: '0' unstressed, '1' primary, '2' secondary, '?' unknown.
  std::string stress;
  /// How well the stresses fit iambic pentameter, in [0, 1].
  double iambic_fit = 0;
  /// Rhyme key of the end word: phones from its last stressed vowel ("EY"), or "~" + a
  /// spelling key ("~ade") for a word the dictionary lacks.
  std::string rhyme_key;
};

/// The reply to a generate_request: a stored sonnet.
struct sonnet_reply {
  int64_t id = 0;
  std::string text;
  std::vector<std::string> lines;
  double dissonance = 0;
  pulse p;
  /// text/quality.hpp: 0.4 structure + 0.3 meter + 0.3 rhyme, in [0, 1].
  double quality = 0;
  /// The quality terms, and whether the prototype's validate() passed.
  double structure = 0;
  double meter = 0;
  int32_t rhyme_pairs = 0;
  bool valid = false;
  /// Meter and rhyme per line.
  std::vector<line_analysis> analysis;
  double temperature = 0;
  uint64_t seed = 0;
  /// Candidates sampled, and which one was kept (0-based); chosen is -1 when the 14 lines were
  /// assembled from the clean lines of all the candidates (formatted::chosen).
  int32_t candidates = 1;
  int32_t chosen = 0;
  /// Model tokens spent, all rounds and candidates included.
  int32_t tokens = 0;
  timings t;
  /// SonnetBrain's learned quality of the text, in [0, 1], before it learned from it; empty
  /// when the emergent layer is off or did not answer in time.
  caf::optional<double> brain;
  /// The phase whose temperature was used ("LIQUID", ...); empty under the bands policy.
  std::string phase;
};

/// Asks the model to continue `context` by `n_tokens` characters.
struct continue_request {
  std::string context;
  int32_t n_tokens = 0;
  double temperature = 0.8;
  int32_t top_k = 0;
  uint64_t seed = 0;
  /// When true the reply starts with the context as the model read it (unknown chars mapped).
  bool echo_context = false;
  /// The service's request this round belongs to (0: none); atom::cancel names it.
  uint64_t job = 0;
  /// Which sequence of the job (the candidate); tags the streamed text.
  int32_t part = 0;
};

/// A model actor's (or pool's: summed) counters, for diagnostics and tests.
struct model_status {
  /// Sequences held in the batch now (unfinished or about to be answered).
  int32_t sequences = 0;
  /// Tokens generated since start.
  int64_t tokens = 0;
  /// Sequences released unfinished by atom::cancel.
  int64_t cancelled = 0;
};

/// The model's text.
struct continuation {
  std::string text;
  int32_t tokens = 0;
  double ms = 0;
};

/// The formatter's verdict on raw model text.
struct formatted {
  std::vector<std::string> lines;
  /// The prototype's validate(): 14 lines and average syllables in [9, 13].
  bool valid = false;
  std::string reason;
  /// text/quality.hpp: 0.4 structure + 0.3 meter + 0.3 rhyme, in [0, 1].
  double quality = 0;
  /// One per line.
  std::vector<line_analysis> analysis;
  /// Quality terms: 14 lines x share of lines with 9..13 syllables; mean iambic fit; rhyme
  /// pairs of ABAB CDCD EFEF GG (0..7) and their share.
  double structure = 0;
  double meter = 0;
  int32_t rhyme_pairs = 0;
  double rhyme = 0;
  /// Which of the raw texts given to the formatter these lines came from (0-based), or -1 when
  /// they were assembled line by line from the clean lines of all of them (2+ candidates,
  /// text/best_of.hpp: every line is one of the model's clean lines, used once).
  int32_t chosen = 0;
};

/// Asks the dissonance actor to judge a formatted sonnet and store it.
struct judge_request {
  std::string user_input;
  std::string text;
  double quality = 0;
  double temperature = 0;
  uint64_t seed = 0;
  /// Who wrote it: "user" for requests, the background writers name themselves.
  std::string added_by = "user";
};

/// The dissonance of a sonnet against the cloud and the user's words.
struct judgement {
  double dissonance = 0.5;
  pulse p;
};

/// A judged, stored sonnet.
struct judged {
  int64_t id = 0;
  judgement j;
};

/// A row to write to the cloud with a dissonance computed elsewhere. No actor takes it any
/// more (the cloud judges what it stores: atom::judge); kept for the wire format's stability.
struct store_request {
  std::string text;
  double quality = 0.5;
  double dissonance = 0.5;
  double temperature = 0.8;
  std::string added_by = "user";
  std::string user_input;
  uint64_t seed = 0;
};

/// A sonnet as stored. The prototype left some columns NULL; NULL is an empty optional, never
/// NaN, because CAF 0.17's float packing cannot carry NaN or infinity across the wire.
struct stored_sonnet {
  int64_t id = 0;
  std::string text;
  caf::optional<double> quality;
  caf::optional<double> dissonance;
  caf::optional<double> temperature;
  /// Julian day (UTC), as the prototype stored it.
  caf::optional<double> timestamp;
  std::string added_by;
};

/// The cloud's summary, with the prototype's semantics.
struct cloud_stats {
  int64_t sonnet_count = 0;
  double avg_quality = 0;
  double avg_dissonance = 0;
  int64_t vocab_size = 0;
};

/// One point of the cloud's series: sonnets first_id..last_id (`count` of them). Empty
/// optionals where every value was NULL (NaN cannot cross the wire, see stored_sonnet).
struct series_point {
  int64_t first_id = 0;
  int64_t last_id = 0;
  int64_t count = 0;
  caf::optional<double> dissonance_mean, dissonance_min, dissonance_max;
  caf::optional<double> quality_mean, quality_min, quality_max;
};

/// Most points a series query may ask for (a chart is a few hundred pixels wide).
inline constexpr int64_t max_series_points = 2000;

/// Dissonance and quality over sonnet id (persistence::cloud_series), for a chart.
struct cloud_series {
  int64_t sonnet_count = 0;
  int64_t bucket_width = 1;
  std::vector<series_point> points;
};

/// Work of the emergent layer's background writers (MetaSonnet, Overthinkng): a sonnet written
/// from `gen`, or `text` as it is, through the same formatter, judge and store as a request,
/// stored as `added_by`. Refused with errc::busy while a user request is in flight.
struct background_request {
  std::string added_by;
  generate_request gen;
  /// Non-empty: no model; these lines are formatted, judged and stored, unless the cloud
  /// already holds exactly that text (errc::invalid_argument: never a copy).
  std::string text;
  /// Store only if the prototype's validate() passes (errc::not_enough_lines otherwise).
  bool require_valid = false;
};

/// The cloud's announcement of one stored sonnet, to every subscriber (stored_sink_actor).
struct sonnet_stored {
  int64_t id = 0;
  std::string text;
  std::vector<std::string> lines;
  double dissonance = 0.5;
  pulse p;
  /// text/quality.hpp's score, as stored.
  double quality = 0;
  /// The prototype's validate() passed.
  bool valid = false;
  caf::optional<double> brain;
  double temperature = 0;
  std::string added_by;
};

/// SonnetBrain's view of one text (emergent/brain.hpp).
struct brain_report {
  /// The stored sonnet scored, or 0 for a text that is not stored.
  int64_t id = 0;
  /// The learned quality: the network's output clipped to [0, 1].
  double score = 0;
  /// The network's raw output y in (-1, 1).
  double output = 0;
  /// The 8 raw features, in brain_feature_names order.
  std::vector<double> features;
  /// Learning steps taken so far, and the last step's loss.
  int64_t observations = 0;
  double last_loss = 0;
};

/// Names of brain_report::features, in order (the prototype's SonnetFeatures fields).
inline constexpr const char* brain_feature_names[] = {
  "line_count",        "avg_syllables",     "syllable_variance", "avg_word_length",
  "unique_word_ratio", "shakespeare_score", "coherence_score",   "novelty"};

/// PhaseTransitions' state (emergent/phases.hpp), as the prototype's get_phase_info().
struct phase_info {
  std::string phase;
  double temperature_sonnet = 0.8;
  double temperature_haiku = 0.8;
  double stability = 0;
  double transition_prob = 0;
  int64_t duration = 0;
  int64_t observations = 0;
};

// -- inspect ------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pulse& x) {
  return f(caf::meta::type_name("pulse"), x.novelty, x.arousal, x.entropy);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, timings& x) {
  return f(caf::meta::type_name("timings"), x.model_ms, x.format_ms, x.judge_ms, x.total_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, generate_request& x) {
  return f(caf::meta::type_name("generate_request"), x.prompt, x.temperature, x.has_temperature,
           x.seed, x.has_seed, x.tokens, x.top_k, x.candidates, x.temperature_policy);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sonnet_reply& x) {
  return f(caf::meta::type_name("sonnet_reply"), x.id, x.text, x.lines, x.dissonance, x.p,
           x.quality, x.structure, x.meter, x.rhyme_pairs, x.valid, x.analysis, x.temperature,
           x.seed, x.candidates, x.chosen, x.tokens, x.t, x.brain, x.phase);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, continue_request& x) {
  return f(caf::meta::type_name("continue_request"), x.context, x.n_tokens, x.temperature, x.top_k,
           x.seed, x.echo_context, x.job, x.part);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, model_status& x) {
  return f(caf::meta::type_name("model_status"), x.sequences, x.tokens, x.cancelled);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, continuation& x) {
  return f(caf::meta::type_name("continuation"), x.text, x.tokens, x.ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, line_analysis& x) {
  return f(caf::meta::type_name("line_analysis"), x.syllables, x.stress, x.iambic_fit, x.rhyme_key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, formatted& x) {
  return f(caf::meta::type_name("formatted"), x.lines, x.valid, x.reason, x.quality, x.analysis,
           x.structure, x.meter, x.rhyme_pairs, x.rhyme, x.chosen);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, judge_request& x) {
  return f(caf::meta::type_name("judge_request"), x.user_input, x.text, x.quality, x.temperature,
           x.seed, x.added_by);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, judgement& x) {
  return f(caf::meta::type_name("judgement"), x.dissonance, x.p);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, judged& x) {
  return f(caf::meta::type_name("judged"), x.id, x.j);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_request& x) {
  return f(caf::meta::type_name("store_request"), x.text, x.quality, x.dissonance, x.temperature,
           x.added_by, x.user_input, x.seed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_sonnet& x) {
  return f(caf::meta::type_name("stored_sonnet"), x.id, x.text, x.quality, x.dissonance,
           x.temperature, x.timestamp, x.added_by);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cloud_stats& x) {
  return f(caf::meta::type_name("cloud_stats"), x.sonnet_count, x.avg_quality, x.avg_dissonance,
           x.vocab_size);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, series_point& x) {
  return f(caf::meta::type_name("series_point"), x.first_id, x.last_id, x.count, x.dissonance_mean,
           x.dissonance_min, x.dissonance_max, x.quality_mean, x.quality_min, x.quality_max);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cloud_series& x) {
  return f(caf::meta::type_name("cloud_series"), x.sonnet_count, x.bucket_width, x.points);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, background_request& x) {
  return f(caf::meta::type_name("background_request"), x.added_by, x.gen, x.text,
           x.require_valid);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sonnet_stored& x) {
  return f(caf::meta::type_name("sonnet_stored"), x.id, x.text, x.lines, x.dissonance, x.p,
           x.quality, x.valid, x.brain, x.temperature, x.added_by);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, brain_report& x) {
  return f(caf::meta::type_name("brain_report"), x.id, x.score, x.output, x.features,
           x.observations, x.last_loss);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, phase_info& x) {
  return f(caf::meta::type_name("phase_info"), x.phase, x.temperature_sonnet, x.temperature_haiku,
           x.stability, x.transition_prob, x.duration, x.observations);
}

} // namespace sonnet
