#pragma once
// Error codes of the whole system. Numbers are fixed (every 10th value pinned) because they
// cross the network inside caf::error; append, never renumber.

#include <cstdint>
#include <iosfwd>

namespace sonnet {

enum class errc : uint8_t {
  /// Not an error.
  none = 0,
  // --- bad input (1..9) -------------------------------------------------
  /// A parameter is outside its documented range (temperature, token budget, ...).
  invalid_argument = 1,
  /// The prompt is longer than the documented maximum.
  prompt_too_long = 2,
  /// The prompt is not valid UTF-8.
  bad_encoding = 3,
  // --- model (10..19) ---------------------------------------------------
  /// The checkpoint file is missing, truncated, not a zip/npy, or has wrong arrays or shapes.
  bad_checkpoint = 10,
  /// The checkpoint holds non-finite weights.
  bad_weights = 11,
  /// No vocabulary could be found for the checkpoint, or it does not match its size.
  bad_vocabulary = 12,
  /// The model actor died or is being restarted.
  model_unavailable = 13,
  /// A training corpus is unreadable, empty, or too small for one training and one held-out window.
  bad_corpus = 14,
  /// Training produced a non-finite loss (the last good checkpoint is kept).
  training_diverged = 15,
  // --- formatting (20..29) ----------------------------------------------
  /// The token budget ran out before 14 clean lines were produced.
  not_enough_lines = 20,
  // --- storage (30..39) -------------------------------------------------
  /// The database file could not be opened or created.
  db_open_failed = 30,
  /// The file is a SQLite database but not a sonnet cloud (or not a database at all).
  not_a_sonnet_cloud = 31,
  /// The database is read-only.
  db_read_only = 32,
  /// A statement failed; the message carries SQLite's text.
  db_error = 33,
  /// No sonnet has the requested id.
  no_such_sonnet = 34,
  /// Another connection held the database lock beyond the busy timeout; SQLite's text attached.
  db_locked = 35,
  /// The cloud file was deleted or replaced under the open store; nothing more is written.
  db_replaced = 36,
  // --- service (40..49) -------------------------------------------------
  /// A stage did not answer in time.
  timeout = 40,
  /// The service is shutting down and takes no new requests.
  shutting_down = 41,
  /// No worker node can take the request.
  no_worker = 42,
  /// The requester went away (e.g. an HTTP client disconnected); the work was stopped.
  cancelled = 43,
  /// Background work refused for now: user requests are in flight, and background work never
  /// goes ahead of them (or another background sonnet is under way).
  busy = 44,
  /// An unexpected failure inside the system; the message says which.
  internal = 49,
  // --- emergent layer state files (50..59) ------------------------------
  /// A state file (sonnetbrain.json, phase_transitions.json) is missing, unreadable, not JSON,
  /// or holds wrong keys, types, sizes or non-finite numbers; the message names file and field.
  bad_state_file = 50,
  /// A state file could not be written (the previous file, if any, is left as it was).
  state_write_failed = 51,
  /// The service runs without the emergent layer, or the part asked for is down (it is being
  /// restarted, or gave up after too many failures).
  emergent_off = 52,
};

/// A stable lower-case name for `x`, e.g. "invalid_argument".
const char* to_string(errc x);

/// Prints to_string(x); lets tests and logs show codes by name.
std::ostream& operator<<(std::ostream& os, errc x);

} // namespace sonnet
