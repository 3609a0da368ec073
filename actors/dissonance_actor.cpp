#include "actors/dissonance_actor.hpp"

#include "caf/all.hpp"

#include "messages/errors.hpp"
#include "text/dissonance.hpp"

namespace sonnet {

namespace {

struct dissonance_state {
  dissonance_state() = default;
  cloud_actor cloud;
  text::vocabulary vocab;
  static inline const char* name = "dissonance";
};

judgement to_message(const text::judgement& j) {
  return {j.dissonance, pulse{j.p.novelty, j.p.arousal, j.p.entropy}};
}

dissonance_actor::behavior_type
dissonance_fn(dissonance_actor::stateful_pointer<dissonance_state> self, cloud_actor cloud,
              std::chrono::milliseconds store_timeout) {
  self->state.cloud = cloud;
  // `await` holds every other message until the vocabulary is here: nothing is judged
  // against a half-loaded cloud.
  self->request(cloud, store_timeout, atom::vocabulary_v)
    .await([=](std::vector<std::string>& words) {
      self->state.vocab.insert(std::make_move_iterator(words.begin()),
                               std::make_move_iterator(words.end()));
    },
    [=](caf::error& e) { self->quit(e); });
  return {
    [=](atom::judge, judge_request& r) -> caf::result<judged> {
      auto rp = self->make_response_promise<judged>();
      auto j = text::compute_dissonance(r.user_input, r.text, self->state.vocab);
      store_request s;
      s.text = r.text;
      s.quality = r.quality;
      s.dissonance = j.dissonance;
      s.temperature = r.temperature;
      s.user_input = r.user_input;
      s.seed = r.seed;
      // Await, not then: the next sonnet must not be judged until this one is in the cloud
      // (or has failed to get there and so added nothing).
      self->request(self->state.cloud, store_timeout, atom::store_v, std::move(s))
        .await(
          [=, text = std::move(r.text)](int64_t id) mutable {
            text::add_to_vocabulary(self->state.vocab, text::trigrams(text));
            rp.deliver(judged{id, to_message(j)});
          },
          [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
      return rp;
    },
    [=](atom::dissonance, const std::string& user_input, const std::string& sonnet) {
      return to_message(text::compute_dissonance(user_input, sonnet, self->state.vocab));
    },
  };
}

} // namespace

dissonance_actor spawn_dissonance(caf::actor_system& sys, cloud_actor cloud,
                                  std::chrono::milliseconds store_timeout) {
  return sys.spawn(dissonance_fn, std::move(cloud), store_timeout);
}

} // namespace sonnet
