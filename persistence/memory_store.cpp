#include "persistence/memory_store.hpp"

#include "text/sonnet_rows.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

namespace sonnet::persistence {

namespace {

/// Mean, min and max of the non-NaN values added (NaN for none), like SQL's AVG/MIN/MAX.
struct summary {
  double sum = 0, lo = NAN, hi = NAN;
  int64_t n = 0;
  void add(double x) {
    if (std::isnan(x))
      return;
    sum += x;
    lo = n == 0 ? x : std::min(lo, x);
    hi = n == 0 ? x : std::max(hi, x);
    ++n;
  }
  double mean() const { return n > 0 ? sum / static_cast<double>(n) : NAN; }
};

/// julianday('now') exactly as SQLite computes it: integer milliseconds since the Julian epoch
/// divided by 86400000.0. Made non-decreasing, as SQLite's clock is in practice.
double julianday_now(double last) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  double jd = static_cast<double>(ms + INT64_C(210866760000000)) / 86400000.0;
  return std::max(jd, last);
}

class memory_store final : public store {
public:
  result<int64_t> add(const sonnet_input& s) override {
    auto rows = text::derive_rows(s.text);
    int64_t id = ++last_id_;
    stored_sonnet r;
    r.id = id;
    r.text = s.text;
    r.quality = s.quality;
    r.dissonance = s.dissonance;
    r.temperature = s.temperature;
    r.timestamp = last_ts_ = julianday_now(last_ts_);
    r.added_by = s.added_by;
    sonnets_.emplace(id, std::move(r));
    lines_[id] = std::move(rows.lines);
    for (const auto& t : rows.trigrams) {
      ++trigrams_[t];
      first_words_.insert(t[0]);
    }
    text::add_to_vocabulary(vocab_, rows.trigrams);
    inputs_[id] = {s.user_input, s.seed};
    return id;
  }

  // add() cannot fail here, so a batch is all-or-none trivially.
  result<std::vector<int64_t>> add_batch(const std::vector<sonnet_input>& batch) override {
    std::vector<int64_t> ids;
    ids.reserve(batch.size());
    for (const auto& s : batch)
      ids.push_back(*add(s));
    return ids;
  }

  // Same semantics as sqlite_store in one process: each judged against the ones before it.
  result<std::vector<judged_sonnet>>
  judge_and_add(const std::vector<sonnet_input>& batch) override {
    std::vector<judged_sonnet> out;
    out.reserve(batch.size());
    for (auto s : batch) {
      judged_sonnet js;
      js.j = text::compute_dissonance(s.user_input, s.text, vocab_);
      s.dissonance = js.j.dissonance;
      js.id = *add(s);
      out.push_back(js);
    }
    return out;
  }

  result<text::judgement> judge(const std::string& user_input, const std::string& sonnet) override {
    return text::compute_dissonance(user_input, sonnet, vocab_);
  }

  result<sonnet_origin> origin(int64_t id) const override {
    auto i = inputs_.find(id);
    if (i == inputs_.end())
      return fail(errc::no_such_sonnet, "no sonnet_inputs row for id " + std::to_string(id));
    return sonnet_origin{i->second.user_input, i->second.seed};
  }

  result<cloud_stats> stats() const override {
    cloud_stats out;
    out.sonnet_count = static_cast<int64_t>(sonnets_.size());
    double sq = 0, sd = 0;
    int64_t nq = 0, nd = 0;
    for (const auto& [id, r] : sonnets_) {
      if (!std::isnan(r.quality)) {
        sq += r.quality;
        ++nq;
      }
      if (!std::isnan(r.dissonance)) {
        sd += r.dissonance;
        ++nd;
      }
    }
    out.avg_quality = nq > 0 ? sq / static_cast<double>(nq) : 0.0;
    out.avg_dissonance = nd > 0 ? sd / static_cast<double>(nd) : 0.0;
    out.vocab_size = static_cast<int64_t>(first_words_.size());
    return out;
  }

  result<std::vector<stored_sonnet>> recent(int64_t n) const override {
    std::vector<stored_sonnet> all;
    for (const auto& [id, r] : sonnets_)
      all.push_back(r);
    std::sort(all.begin(), all.end(), [](const stored_sonnet& a, const stored_sonnet& b) {
      if (a.timestamp != b.timestamp)
        return a.timestamp > b.timestamp;
      return a.id > b.id;
    });
    return limit(std::move(all), n);
  }

  result<std::vector<stored_sonnet>> best(int64_t n, double min_quality) const override {
    std::vector<stored_sonnet> all;
    for (const auto& [id, r] : sonnets_)
      if (r.quality >= min_quality) // false for NaN on either side, like SQL NULL
        all.push_back(r);
    std::stable_sort(all.begin(), all.end(), [](const stored_sonnet& a, const stored_sonnet& b) {
      return a.quality > b.quality; // ids ascend within equal quality (stable, map order)
    });
    return limit(std::move(all), n);
  }

  result<stored_sonnet> get(int64_t id) const override {
    auto i = sonnets_.find(id);
    if (i == sonnets_.end())
      return fail(errc::no_such_sonnet, "no sonnet with id " + std::to_string(id));
    return i->second;
  }

  result<int64_t> find_text(const std::string& text) const override {
    for (const auto& [id, r] : sonnets_)
      if (r.text == text)
        return id;
    return int64_t{0};
  }

  result<cloud_series> series(int64_t points) const override {
    cloud_series out;
    if (sonnets_.empty())
      return out;
    const int64_t lo = sonnets_.begin()->first;
    out.bucket_width = series_bucket_width(lo, sonnets_.rbegin()->first, points);
    summary d, q;
    auto flush = [&] {
      auto& b = out.buckets.back();
      b.dissonance_mean = d.mean(), b.dissonance_min = d.lo, b.dissonance_max = d.hi;
      b.quality_mean = q.mean(), b.quality_min = q.lo, b.quality_max = q.hi;
      d = {}, q = {};
    };
    int64_t bucket = -1;
    for (const auto& [id, r] : sonnets_) { // map order: ids ascending, one pass
      if ((id - lo) / out.bucket_width != bucket) {
        if (bucket >= 0)
          flush();
        bucket = (id - lo) / out.bucket_width;
        out.buckets.push_back(series_bucket{id, id, 0, 0, 0, 0, 0, 0, 0});
      }
      out.buckets.back().last_id = id;
      ++out.buckets.back().count;
      d.add(r.dissonance);
      q.add(r.quality);
    }
    flush();
    out.sonnet_count = static_cast<int64_t>(sonnets_.size());
    return out;
  }

  const text::vocabulary& vocabulary() const override { return vocab_; }

private:
  static std::vector<stored_sonnet> limit(std::vector<stored_sonnet> v, int64_t n) {
    if (n >= 0 && static_cast<uint64_t>(n) < v.size())
      v.resize(static_cast<size_t>(n));
    return v;
  }

  struct input_row {
    std::string user_input;
    uint64_t seed;
  };

  int64_t last_id_ = 0;
  double last_ts_ = 0;
  std::map<int64_t, stored_sonnet> sonnets_;
  std::map<int64_t, std::vector<text::line_row>> lines_;
  std::map<text::trigram, int64_t> trigrams_;
  std::map<int64_t, input_row> inputs_;
  std::set<std::string> first_words_;
  text::vocabulary vocab_;
};

} // namespace

std::unique_ptr<store> make_memory_store() {
  return std::make_unique<memory_store>();
}

} // namespace sonnet::persistence
