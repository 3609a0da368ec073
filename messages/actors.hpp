#pragma once
// Every typed actor interface of the system, declared once. A handler list reads as a table of
// `message -> reply`; errors travel as caf::error in the "sonnet" category (see errors.hpp).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "caf/replies_to.hpp"
#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/typed_actor.hpp"

#include "messages/atoms.hpp"
#include "messages/types.hpp"

namespace sonnet {

namespace model {
class model;
}

/// A checkpoint loaded in this process, handed to a model pool to swap in (local only: never
/// serialized, see model_pool.hpp).
struct model_swap {
  std::shared_ptr<const model::model> weights;
  /// The checkpoint file's SHA-256 (hex), for the reply and logs.
  std::string sha256;
};

/// A TEXT SINK: receives raw text while the model writes it (streaming; e.g. an HTTP bridge).
/// Chunks of one part arrive in order, all before the request's reply.
using text_sink_actor = caf::typed_actor<
  // The next piece of part (candidate) `part`'s raw text.
  caf::reacts_to<atom::chunk, int32_t, std::string>>;

/// The MODEL actor: owns decoders over one loaded checkpoint. Runs detached; heavy compute.
using model_actor = caf::typed_actor<
  // Continues the context by n_tokens characters.
  caf::replies_to<atom::generate, continue_request>::with<continuation>,
  // The same, and sends the text (echoed context first) to the sink as it is generated, tagged
  // with req.part; the chunks concatenated are the reply's text.
  caf::replies_to<atom::generate, continue_request, text_sink_actor>::with<continuation>,
  // Drops every sequence of that job (continue_request::job): no more steps; their requests
  // fail with errc::cancelled.
  caf::reacts_to<atom::cancel, uint64_t>,
  // Sequences held, tokens generated, sequences cancelled (a pool sums its slots).
  caf::replies_to<atom::status>::with<model_status>>;

/// The MODEL POOL: one model face over several model actors, local threads or remote workers.
/// Spreads rounds by least work in flight, replaces dead local models, and re-sends a round
/// whose remote worker failed to another worker.
using model_pool_actor = model_actor::extend<
  // The first slot's actor (diagnostics and fault-injection tests).
  caf::replies_to<atom::model>::with<model_actor>,
  // Local only: new rounds use these weights from now on; jobs with rounds on the old model
  // finish there, then its actors exit. Replies the jobs still pinned to the old model.
  caf::replies_to<atom::reload, model_swap>::with<int32_t>>;

/// The FORMATTER actor: cuts 14 clean lines out of raw model text (the prototype's rules) and
/// scores them for structure, meter and rhyme.
using formatter_actor = caf::typed_actor<
  // Raw texts (one per candidate) -> the best one's 14 lines and verdict, or
  // errc::not_enough_lines when none has 14 clean lines.
  caf::replies_to<atom::format, std::vector<std::string>>::with<formatted>>;

/// The CLOUD actor: the only owner of this process's SQLite connection.
using cloud_actor = caf::typed_actor<
  // Judges and stores sonnets in ONE write transaction, all or none, in order (the dissonance
  // actor's group commit): under the file's write lock it catches up with what other processes
  // stored, judges each sonnet against that and the batch's earlier sonnets, and writes it.
  // Replies ids and judgements, in order.
  caf::replies_to<atom::judge, std::vector<judge_request>>::with<std::vector<judged>>,
  // Dissonance of (user input, sonnet) against the cloud as committed now (every writer's
  // sonnets), without storing anything.
  caf::replies_to<atom::dissonance, std::string, std::string>::with<judgement>,
  // Count, average quality and dissonance, vocabulary size.
  caf::replies_to<atom::stats>::with<cloud_stats>,
  // The n newest sonnets (ties broken by id).
  caf::replies_to<atom::recent, int64_t>::with<std::vector<stored_sonnet>>,
  // The n best sonnets with quality >= min_quality.
  caf::replies_to<atom::best, int64_t, double>::with<std::vector<stored_sonnet>>,
  // One sonnet by id, or errc::no_such_sonnet.
  caf::replies_to<atom::get, int64_t>::with<stored_sonnet>,
  // The smallest id of a sonnet with exactly this text, 0 if none.
  caf::replies_to<atom::get, std::string>::with<int64_t>,
  // Dissonance and quality over id for the whole cloud, in at most n points (n >= 1).
  caf::replies_to<atom::series, int64_t>::with<cloud_series>>;

/// The DISSONANCE actor: orders this process's stores and groups them into transactions; the
/// cloud judges each sonnet against exactly the cloud stored before it.
using dissonance_actor = caf::typed_actor<
  // Judges a sonnet against the cloud, stores it, replies its id and dissonance once committed.
  caf::replies_to<atom::judge, judge_request>::with<judged>,
  // Dissonance of (user input, sonnet) against the cloud as committed now, without storing.
  caf::replies_to<atom::dissonance, std::string, std::string>::with<judgement>>;

/// A SUBSCRIBER to the cloud's events: told of every sonnet this service stores, after the
/// commit. Sent asynchronously: a slow subscriber never holds up a store.
using stored_sink_actor = caf::typed_actor<
  // One stored sonnet, in commit order.
  caf::reacts_to<atom::stored, sonnet_stored>>;

/// The BRAIN actor: SonnetBrain (emergent/brain.hpp). Learns one step from each stored sonnet
/// toward its quality and saves its weights (atomically) before it answers.
using brain_actor = caf::typed_actor<
  // Learns from a stored sonnet; true once the step is saved (false: not learned or not saved).
  caf::replies_to<atom::stored, sonnet_stored>::with<bool>,
  // The learned quality of a text, with its features (id 0).
  caf::replies_to<atom::score, std::string>::with<brain_report>>;

/// The PHASE actor: PhaseTransitions (emergent/phases.hpp), one update per stored user sonnet,
/// its state saved (atomically) before it answers.
using phase_actor = caf::typed_actor<
  // Updates from a stored sonnet; true once the update is saved (false: none or not saved).
  caf::replies_to<atom::stored, sonnet_stored>::with<bool>,
  // The phase, its temperatures and counters.
  caf::replies_to<atom::phase>::with<phase_info>>;

/// The DREAM actor: the recursive encoder's latent "dreams" (emergent/dream.hpp), its weights
/// seeded and saved so that a dream is the same on every run.
using dream_actor = caf::typed_actor<
  // /dream MODE (drift, walk, centroid) over these texts (newest first) -> the lines to print.
  caf::replies_to<atom::dream, std::string, std::vector<std::string>>::with<
    std::vector<std::string>>>;

/// The EMERGENT actor: supervises the brain and phase actors (restarting one that dies, from
/// its saved state), passes each stored sonnet on to them and to subscribers.
using emergent_actor = caf::typed_actor<
  // A stored sonnet: the brain and the phases take their step and save it, then the answer
  // (true if both did); subscribers are told without waiting for them.
  caf::replies_to<atom::stored, sonnet_stored>::with<bool>,
  caf::replies_to<atom::score, std::string>::with<brain_report>,
  caf::replies_to<atom::phase>::with<phase_info>,
  // Adds a subscriber until it goes down.
  caf::reacts_to<atom::subscribe, stored_sink_actor>,
  // /dream MODE over these texts (newest first) -> the lines to print.
  caf::replies_to<atom::dream, std::string, std::vector<std::string>>::with<
    std::vector<std::string>>,
  // The parts now (null once given up): diagnostics and fault-injection tests.
  caf::replies_to<atom::get>::with<brain_actor, phase_actor, dream_actor>>;

/// The SERVICE: the one public entry point (embedded, daemon, or remote).
using service_actor = caf::typed_actor<
  // Generates, formats, judges and stores one sonnet. The request ends (errc::cancelled,
  // nothing stored) if its requester goes down before the sonnet is judged.
  caf::replies_to<atom::generate, generate_request>::with<sonnet_reply>,
  // The same, and streams each candidate's raw text to the sink while the model writes it.
  caf::replies_to<atom::generate, generate_request, text_sink_actor>::with<sonnet_reply>,
  // Dissonance of (user input, sonnet) against the cloud, without storing anything.
  caf::replies_to<atom::dissonance, std::string, std::string>::with<judgement>,
  caf::replies_to<atom::stats>::with<cloud_stats>,
  caf::replies_to<atom::recent, int64_t>::with<std::vector<stored_sonnet>>,
  caf::replies_to<atom::best, int64_t, double>::with<std::vector<stored_sonnet>>,
  caf::replies_to<atom::get, int64_t>::with<stored_sonnet>,
  caf::replies_to<atom::series, int64_t>::with<cloud_series>,
  // The emergent layer (errc::emergent_off when the service runs without it):
  // the phase and its temperatures,
  caf::replies_to<atom::phase>::with<phase_info>,
  // SonnetBrain on a stored sonnet (errc::no_such_sonnet); id 0: its counters only,
  caf::replies_to<atom::brain, int64_t>::with<brain_report>,
  // /dream MODE (drift, walk, centroid) over the 5 newest sonnets -> lines to print,
  caf::replies_to<atom::dream, std::string>::with<std::vector<std::string>>,
  // and every stored sonnet from now on, told to the subscriber until it goes down.
  caf::reacts_to<atom::subscribe, stored_sink_actor>>;

/// The service as its owner sees it; only the public part (service_actor) is ever published.
using service_control_actor = service_actor::extend<
  // The first model actor (diagnostics and fault-injection tests).
  caf::replies_to<atom::model>::with<model_actor>,
  // The emergent layer's supervisor (null when off; diagnostics and tests).
  caf::replies_to<atom::get>::with<emergent_actor>,
  // A background writer's sonnet (background_request): errc::busy while user requests run.
  caf::replies_to<atom::generate, background_request>::with<sonnet_reply>,
  // Refuses new generate requests from now on; replies with the number of requests that
  // were in flight once every one of them has ended.
  caf::replies_to<atom::drain>::with<int64_t>,
  // Loads the checkpoint at that path (empty: the configured one) off the scheduler and swaps
  // it into the pool (see model_pool_actor); replies its SHA-256, or the load's error.
  caf::replies_to<atom::reload, std::string>::with<std::string>>;

} // namespace sonnet

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sonnet::model_swap)
