#pragma once
// One generate round sent on to a model actor, a pool or a worker: with the text sink when the
// caller streams, without one otherwise (the model then sends no chunks). Include after
// "caf/all.hpp", in the .cpp files that send rounds.

#include "messages/actors.hpp"

namespace sonnet {

template <class Self, class Target, class Timeout>
auto request_round(Self* self, const Target& target, const Timeout& timeout, continue_request req,
                   text_sink_actor sink) {
  return sink ? self->request(target, timeout, atom::generate_v, std::move(req), std::move(sink))
              : self->request(target, timeout, atom::generate_v, std::move(req));
}

} // namespace sonnet
