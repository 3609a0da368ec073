#include "actors/dissonance_actor.hpp"

#include <vector>

#include "caf/all.hpp"

#include "messages/errors.hpp"
#include "text/dissonance.hpp"

namespace sonnet {

namespace {

/// A judged sonnet on its way into the cloud; its requester hears back after the commit.
struct entry {
  judge_request req;
  text::judgement j;
  caf::typed_response_promise<judged> rp;
  /// The words this sonnet brought into the vocabulary, taken out again if its commit fails.
  std::vector<std::string> new_words;
};

struct dissonance_state {
  dissonance_state() = default;
  cloud_actor cloud;
  /// The cloud's vocabulary plus the words of every sonnet judged since, committed or not: each
  /// sonnet is judged against all the sonnets judged before it.
  text::vocabulary vocab;
  /// Sent to the cloud as one transaction, reply outstanding.
  std::vector<entry> committing;
  /// Judged while that transaction was outstanding: the next one (group commit).
  std::vector<entry> waiting;
  static inline const char* name = "dissonance";
};

using self_ptr = dissonance_actor::stateful_pointer<dissonance_state>;

judgement to_message(const text::judgement& j) {
  return {j.dissonance, pulse{j.p.novelty, j.p.arousal, j.p.entropy}};
}

/// Judges `e` against the vocabulary, then adds its words (remembering the new ones).
void judge(dissonance_state& st, entry& e) {
  e.j = text::compute_dissonance(e.req.user_input, e.req.text, st.vocab);
  e.new_words.clear();
  for (auto& t : text::trigrams(e.req.text))
    for (auto& w : t)
      if (st.vocab.insert(w).second)
        e.new_words.push_back(w);
}

/// Takes the words of `es` back out of the vocabulary, newest sonnet first.
void forget(dissonance_state& st, const std::vector<entry>& es) {
  for (auto e = es.rbegin(); e != es.rend(); ++e)
    for (const auto& w : e->new_words)
      st.vocab.erase(w);
}

/// Sends the waiting sonnets to the cloud as one transaction, unless one is outstanding (then
/// its reply sends them). One commit, one fsync, for every sonnet judged meanwhile.
void commit(self_ptr self, std::chrono::milliseconds timeout) {
  auto& st = self->state;
  if (!st.committing.empty() || st.waiting.empty())
    return;
  st.committing.swap(st.waiting);
  std::vector<store_request> batch;
  batch.reserve(st.committing.size());
  for (const auto& e : st.committing) {
    store_request s;
    s.text = e.req.text;
    s.quality = e.req.quality;
    s.dissonance = e.j.dissonance;
    s.temperature = e.req.temperature;
    s.user_input = e.req.user_input;
    s.seed = e.req.seed;
    batch.push_back(std::move(s));
  }
  self->request(st.cloud, timeout, atom::store_v, std::move(batch))
    .then(
      [=](std::vector<int64_t>& ids) {
        auto& st = self->state;
        if (ids.size() == st.committing.size()) {
          for (size_t i = 0; i < ids.size(); ++i)
            st.committing[i].rp.deliver(judged{ids[i], to_message(st.committing[i].j)});
        } else { // the cloud broke its contract: report it, keep the words (they may be stored)
          for (auto& e : st.committing)
            e.rp.deliver(make_caf_error(errc::db_error, "the cloud answered "
                                                          + std::to_string(ids.size())
                                                          + " ids for "
                                                          + std::to_string(st.committing.size())
                                                          + " sonnets"));
        }
        st.committing.clear();
        commit(self, timeout);
      },
      [=](caf::error& err) {
        // Nothing of that transaction is stored. The sonnets judged after it counted its words:
        // take back theirs and its own, then judge them again against what the cloud holds.
        auto& st = self->state;
        forget(st, st.waiting);
        forget(st, st.committing);
        for (auto& e : st.committing)
          e.rp.deliver(err);
        st.committing.clear();
        for (auto& e : st.waiting)
          judge(st, e);
        commit(self, timeout);
      });
}

dissonance_actor::behavior_type dissonance_fn(self_ptr self, cloud_actor cloud,
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
      auto& st = self->state;
      entry e;
      e.req = std::move(r);
      e.rp = self->make_response_promise<judged>();
      judge(st, e);
      auto rp = e.rp;
      st.waiting.push_back(std::move(e));
      commit(self, store_timeout);
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
