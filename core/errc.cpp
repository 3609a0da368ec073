#include "core/errc.hpp"

#include <ostream>

namespace sonnet {

const char* to_string(errc x) {
  switch (x) {
  case errc::none:
    return "none";
  case errc::invalid_argument:
    return "invalid_argument";
  case errc::prompt_too_long:
    return "prompt_too_long";
  case errc::bad_encoding:
    return "bad_encoding";
  case errc::bad_checkpoint:
    return "bad_checkpoint";
  case errc::bad_weights:
    return "bad_weights";
  case errc::bad_vocabulary:
    return "bad_vocabulary";
  case errc::model_unavailable:
    return "model_unavailable";
  case errc::bad_corpus:
    return "bad_corpus";
  case errc::training_diverged:
    return "training_diverged";
  case errc::not_enough_lines:
    return "not_enough_lines";
  case errc::db_open_failed:
    return "db_open_failed";
  case errc::not_a_sonnet_cloud:
    return "not_a_sonnet_cloud";
  case errc::db_read_only:
    return "db_read_only";
  case errc::db_error:
    return "db_error";
  case errc::no_such_sonnet:
    return "no_such_sonnet";
  case errc::db_locked:
    return "db_locked";
  case errc::db_replaced:
    return "db_replaced";
  case errc::timeout:
    return "timeout";
  case errc::shutting_down:
    return "shutting_down";
  case errc::no_worker:
    return "no_worker";
  case errc::cancelled:
    return "cancelled";
  case errc::internal:
    return "internal";
  case errc::bad_state_file:
    return "bad_state_file";
  case errc::busy:
    return "busy";
  case errc::state_write_failed:
    return "state_write_failed";
  case errc::emergent_off:
    return "emergent_off";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, errc x) {
  return os << to_string(x);
}

} // namespace sonnet
