// store::series: the cloud's dissonance and quality over sonnet id, bucketed for a chart.
#include "fixtures.hpp"

#include "persistence/memory_store.hpp"
#include "persistence/sqlite_store.hpp"

#include <chrono>
#include <cmath>
#include <limits>

using namespace sonnet::persistence;
using namespace sonnet::persistence::test;

namespace {

const double nan_v = std::numeric_limits<double>::quiet_NaN();

/// Ten sonnets: dissonance 0.1 * id (id 4's NULL), quality 1 - 0.05 * id.
void fill_ten(store& s) {
  for (int i = 1; i <= 10; ++i) {
    auto in = text_only("line of sonnet " + std::to_string(i));
    in.dissonance = i == 4 ? nan_v : 0.1 * i;
    in.quality = 1 - 0.05 * i;
    BOOST_REQUIRE(s.add(in));
  }
}

void check_same(const series_bucket& a, const series_bucket& b) {
  BOOST_CHECK_EQUAL(a.first_id, b.first_id);
  BOOST_CHECK_EQUAL(a.last_id, b.last_id);
  BOOST_CHECK_EQUAL(a.count, b.count);
  for (auto [x, y] : {std::pair{a.dissonance_mean, b.dissonance_mean},
                      {a.dissonance_min, b.dissonance_min},
                      {a.dissonance_max, b.dissonance_max},
                      {a.quality_mean, b.quality_mean},
                      {a.quality_min, b.quality_min},
                      {a.quality_max, b.quality_max}}) {
    BOOST_CHECK_EQUAL(std::isnan(x), std::isnan(y));
    if (!std::isnan(x))
      BOOST_CHECK_CLOSE(x, y, 1e-9);
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(series)

BOOST_AUTO_TEST_CASE(bucket_width_covers_the_ids_in_at_most_points_buckets) {
  BOOST_CHECK_EQUAL(series_bucket_width(1, 10, 100), 1);
  BOOST_CHECK_EQUAL(series_bucket_width(1, 10, 10), 1);
  BOOST_CHECK_EQUAL(series_bucket_width(1, 10, 3), 4); // 1-4, 5-8, 9-10
  BOOST_CHECK_EQUAL(series_bucket_width(1, 100000, 500), 200);
  BOOST_CHECK_EQUAL(series_bucket_width(5, 100004, 500), 200);
  BOOST_CHECK_EQUAL(series_bucket_width(1, 100001, 500), 201);
  BOOST_CHECK_EQUAL(series_bucket_width(0, 0, 500), 1); // empty cloud
}

BOOST_AUTO_TEST_CASE(one_bucket_per_sonnet_when_they_fit) {
  auto s = open_sqlite(":memory:");
  BOOST_REQUIRE(s);
  fill_ten(**s);
  auto r = (*s)->series(100);
  BOOST_REQUIRE(r);
  BOOST_CHECK_EQUAL(r->sonnet_count, 10);
  BOOST_CHECK_EQUAL(r->bucket_width, 1);
  BOOST_REQUIRE_EQUAL(r->buckets.size(), 10u);
  for (int i = 1; i <= 10; ++i) {
    const auto& b = r->buckets[static_cast<size_t>(i - 1)];
    BOOST_CHECK_EQUAL(b.first_id, i);
    BOOST_CHECK_EQUAL(b.count, 1);
    BOOST_CHECK_CLOSE(b.quality_mean, 1 - 0.05 * i, 1e-9);
    if (i == 4)
      BOOST_CHECK(std::isnan(b.dissonance_mean)); // NULL stays "no value"
    else
      BOOST_CHECK_CLOSE(b.dissonance_max, 0.1 * i, 1e-9);
  }
}

BOOST_AUTO_TEST_CASE(buckets_hold_mean_min_max_and_skip_nulls) {
  auto s = open_sqlite(":memory:");
  BOOST_REQUIRE(s);
  fill_ten(**s);
  auto r = (*s)->series(3);
  BOOST_REQUIRE(r);
  BOOST_CHECK_EQUAL(r->bucket_width, 4);
  BOOST_REQUIRE_EQUAL(r->buckets.size(), 3u);
  const auto& a = r->buckets[0]; // ids 1-4, id 4's dissonance NULL
  BOOST_CHECK_EQUAL(a.first_id, 1);
  BOOST_CHECK_EQUAL(a.last_id, 4);
  BOOST_CHECK_EQUAL(a.count, 4);
  BOOST_CHECK_CLOSE(a.dissonance_mean, 0.2, 1e-9);
  BOOST_CHECK_CLOSE(a.dissonance_min, 0.1, 1e-9);
  BOOST_CHECK_CLOSE(a.dissonance_max, 0.3, 1e-9);
  BOOST_CHECK_CLOSE(a.quality_mean, 1 - 0.05 * 2.5, 1e-9);
  const auto& c = r->buckets[2]; // ids 9-10
  BOOST_CHECK_EQUAL(c.first_id, 9);
  BOOST_CHECK_EQUAL(c.last_id, 10);
  BOOST_CHECK_EQUAL(c.count, 2);
  BOOST_CHECK_CLOSE(c.dissonance_mean, 0.95, 1e-9);
}

BOOST_AUTO_TEST_CASE(memory_store_gives_the_same_series) {
  auto s = open_sqlite(":memory:");
  BOOST_REQUIRE(s);
  auto m = make_memory_store();
  fill_ten(**s);
  fill_ten(*m);
  for (int64_t points : {1, 2, 3, 7, 10, 1000}) {
    auto a = (*s)->series(points);
    auto b = m->series(points);
    BOOST_REQUIRE(a && b);
    BOOST_CHECK_EQUAL(a->sonnet_count, b->sonnet_count);
    BOOST_CHECK_EQUAL(a->bucket_width, b->bucket_width);
    BOOST_REQUIRE_EQUAL(a->buckets.size(), b->buckets.size());
    BOOST_CHECK_LE(a->buckets.size(), static_cast<size_t>(points));
    for (size_t i = 0; i < a->buckets.size(); ++i)
      check_same(a->buckets[i], b->buckets[i]);
  }
  auto empty = make_memory_store()->series(10);
  BOOST_REQUIRE(empty);
  BOOST_CHECK(empty->buckets.empty());
  BOOST_CHECK_EQUAL(empty->sonnet_count, 0);
}

// The page's chart asks for the whole cloud: a 100k-sonnet cloud must answer in well under a
// second (one scan of the primary key).
BOOST_AUTO_TEST_CASE(a_100k_cloud_answers_fast) {
  temp_dir dir;
  auto path = dir.file("big.db");
  BOOST_REQUIRE(open_sqlite(path));
  {
    raw_db raw(path);
    raw.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) "
             "INSERT INTO sonnets (text, quality, dissonance) "
             "SELECT 'x', (i % 100) / 100.0, 1.0 / (1 + i / 1000.0) FROM n");
  }
  auto s = open_sqlite(path, open_mode::read_only);
  BOOST_REQUIRE(s);
  auto t0 = std::chrono::steady_clock::now();
  auto r = (*s)->series(500);
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
  BOOST_REQUIRE(r);
  BOOST_TEST_MESSAGE("series(500) of 100k sonnets: " << ms.count() << " ms");
  BOOST_CHECK_EQUAL(r->sonnet_count, 100000);
  BOOST_CHECK_EQUAL(r->bucket_width, 200);
  BOOST_CHECK_EQUAL(r->buckets.size(), 500u);
  BOOST_CHECK_GT(r->buckets.front().dissonance_mean, r->buckets.back().dissonance_mean);
  BOOST_CHECK_LT(ms.count(), 500.0);
}

BOOST_AUTO_TEST_SUITE_END()
