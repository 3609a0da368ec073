#include "actors/dissonance_actor.hpp"

#include <vector>

#include "caf/all.hpp"

#include "messages/errors.hpp"

namespace sonnet {

namespace {

/// A sonnet on its way into the cloud; its requester hears back after the commit.
struct entry {
  judge_request req;
  caf::typed_response_promise<judged> rp;
};

struct dissonance_state {
  dissonance_state() = default;
  cloud_actor cloud;
  /// Sent to the cloud as one transaction, reply outstanding.
  std::vector<entry> committing;
  /// Arrived while that transaction was outstanding: the next one (group commit).
  std::vector<entry> waiting;
  static inline const char* name = "dissonance";
};

using self_ptr = dissonance_actor::stateful_pointer<dissonance_state>;

/// Sends the waiting sonnets to the cloud as one transaction, unless one is outstanding (then
/// its reply sends them). One commit, one fsync, for every sonnet that arrived meanwhile. The
/// cloud judges them inside that transaction, after catching up with other processes' rows:
/// judging here, before the file's write lock is held, could not see those.
void commit(self_ptr self, std::chrono::milliseconds timeout) {
  auto& st = self->state;
  if (!st.committing.empty() || st.waiting.empty())
    return;
  st.committing.swap(st.waiting);
  std::vector<judge_request> batch;
  batch.reserve(st.committing.size());
  for (const auto& e : st.committing)
    batch.push_back(e.req);
  self->request(st.cloud, timeout, atom::judge_v, std::move(batch))
    .then(
      [=](std::vector<judged>& js) {
        auto& st = self->state;
        if (js.size() == st.committing.size()) {
          for (size_t i = 0; i < js.size(); ++i)
            st.committing[i].rp.deliver(js[i]);
        } else { // the cloud broke its contract: report it
          for (auto& e : st.committing)
            e.rp.deliver(make_caf_error(
              errc::db_error, "the cloud answered " + std::to_string(js.size()) + " judgements for "
                                + std::to_string(st.committing.size()) + " sonnets"));
        }
        st.committing.clear();
        commit(self, timeout);
      },
      [=](caf::error& err) {
        // Nothing of that transaction is stored; the waiting ones are judged when they go.
        auto& st = self->state;
        for (auto& e : st.committing)
          e.rp.deliver(err);
        st.committing.clear();
        commit(self, timeout);
      });
}

dissonance_actor::behavior_type dissonance_fn(self_ptr self, cloud_actor cloud,
                                              std::chrono::milliseconds store_timeout) {
  self->state.cloud = cloud;
  return {
    [=](atom::judge, judge_request& r) -> caf::result<judged> {
      auto& st = self->state;
      entry e;
      e.req = std::move(r);
      e.rp = self->make_response_promise<judged>();
      auto rp = e.rp;
      st.waiting.push_back(std::move(e));
      commit(self, store_timeout);
      return rp;
    },
    [=](atom::dissonance, std::string& user_input, std::string& sonnet) {
      return self->delegate(self->state.cloud, atom::dissonance_v, std::move(user_input),
                            std::move(sonnet));
    },
  };
}

} // namespace

dissonance_actor spawn_dissonance(caf::actor_system& sys, cloud_actor cloud,
                                  std::chrono::milliseconds store_timeout) {
  return sys.spawn(dissonance_fn, std::move(cloud), store_timeout);
}

} // namespace sonnet
