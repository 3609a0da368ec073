#define BOOST_TEST_MODULE messages
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "caf/all.hpp"

#include "messages/errors.hpp"
#include "messages/json.hpp"
#include "messages/register.hpp"
#include "messages/type_ids.hpp"

using namespace sonnet;

namespace {

struct config : caf::actor_system_config {
  config() { register_types(*this); }
};

struct serialization {
  config cfg;
  caf::actor_system sys{cfg};

  template <class T>
  T roundtrip(T x) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    if (auto err = sink(x))
      BOOST_FAIL("serialize: " << sys.render(err));
    T y;
    caf::binary_deserializer source{sys, buf};
    if (auto err = source(y))
      BOOST_FAIL("deserialize: " << sys.render(err));
    return y;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(messages, serialization)

BOOST_AUTO_TEST_CASE(generate_request_and_reply_roundtrip) {
  generate_request req;
  req.prompt = "Shall I compare thee — ☀";
  req.temperature = 0.65;
  req.has_temperature = true;
  req.seed = 0xFFFFFFFFFFFFFFFFull;
  req.has_seed = true;
  req.tokens = 1200;
  req.top_k = 5;
  auto r2 = roundtrip(req);
  BOOST_TEST(r2.prompt == req.prompt);
  BOOST_TEST(r2.temperature == req.temperature);
  BOOST_TEST(r2.has_temperature);
  BOOST_TEST(r2.seed == req.seed);
  BOOST_TEST(r2.has_seed);
  BOOST_TEST(r2.tokens == 1200);
  BOOST_TEST(r2.top_k == 5);

  sonnet_reply rep;
  rep.id = 156;
  rep.lines = std::vector<std::string>(14, "A line of verse");
  rep.text = "text";
  rep.dissonance = 0.71;
  rep.p = {0.3, 12.5, 1.0};
  rep.quality = 0.8;
  rep.temperature = 1.0;
  rep.seed = 9;
  rep.tokens = 1200;
  rep.t = {100.5, 0.25, 3.5, 104.25};
  auto rep2 = roundtrip(rep);
  BOOST_TEST(rep2.id == 156);
  BOOST_TEST(rep2.lines == rep.lines);
  BOOST_TEST(rep2.p.arousal == 12.5);
  BOOST_TEST(rep2.t.total_ms == 104.25);
  BOOST_TEST(rep2.tokens == 1200);
}

BOOST_AUTO_TEST_CASE(internal_messages_roundtrip) {
  continue_request c{"ROMEO:\n", 400, 0.8, 0, 77, true};
  auto c2 = roundtrip(c);
  BOOST_TEST(c2.context == "ROMEO:\n");
  BOOST_TEST(c2.n_tokens == 400);
  BOOST_TEST(c2.echo_context);
  formatted f;
  f.lines = std::vector<std::string>(14, "x");
  f.valid = true;
  f.reason = "Valid sonnet structure";
  f.quality = 0.8;
  f.analysis = {line_analysis{10, "0101010101", 1.0, "EY"}};
  auto f2 = roundtrip(f);
  BOOST_TEST(f2.reason == "Valid sonnet structure");
  BOOST_REQUIRE_EQUAL(f2.analysis.size(), 1u);
  BOOST_TEST(f2.analysis[0].stress == "0101010101");
  BOOST_TEST(f2.analysis[0].rhyme_key == "EY");
  store_request s;
  s.text = "t";
  s.user_input = "u";
  s.seed = 3;
  auto s2 = roundtrip(s);
  BOOST_TEST(s2.added_by == "user");
  BOOST_TEST(s2.user_input == "u");
  auto batch = roundtrip(std::vector<store_request>{s, s2}); // a group commit
  BOOST_REQUIRE_EQUAL(batch.size(), 2u);
  BOOST_TEST(batch[1].seed == 3u);
  BOOST_TEST((roundtrip(std::vector<int64_t>{7, -1}) == std::vector<int64_t>{7, -1}));
  stored_sonnet st{5, "x", caf::none, 0.5, 0.8, 2460000.5, "dissonance_test"};
  auto st2 = roundtrip(st);
  BOOST_TEST(!st2.quality); // NULL columns survive the wire as empty optionals
  BOOST_TEST(*st2.dissonance == 0.5);
  BOOST_TEST(*st2.timestamp == 2460000.5);
  BOOST_TEST(st2.added_by == "dissonance_test");
  cloud_stats cs{155, 0.5, 0.7, 1234};
  BOOST_TEST(roundtrip(cs).vocab_size == 1234);
  // The chart's series: a bucket of only NULL dissonances crosses as empty optionals.
  cloud_series se{7,
                  4,
                  {{1, 4, 4, caf::none, caf::none, caf::none, 0.5, 0.25, 0.75},
                   {5, 7, 3, 0.3, 0.1, 0.6, 0.4, 0.4, 0.4}}};
  auto se2 = roundtrip(se);
  BOOST_TEST(se2.sonnet_count == 7);
  BOOST_TEST(se2.bucket_width == 4);
  BOOST_REQUIRE_EQUAL(se2.points.size(), 2u);
  BOOST_TEST(!se2.points[0].dissonance_mean);
  BOOST_TEST(*se2.points[0].quality_max == 0.75);
  BOOST_TEST(se2.points[1].last_id == 7);
  BOOST_TEST(*se2.points[1].dissonance_min == 0.1);
  auto j = to_json(se2); // columnar, nulls kept
  BOOST_TEST(j.at("first_id") == nlohmann::json({1, 5}));
  BOOST_TEST(j.at("dissonance").at("mean")[0].is_null());
  BOOST_TEST(j.at("dissonance").at("mean")[1].get<double>() == 0.3);
}

BOOST_AUTO_TEST_CASE(every_message_type_is_registered_under_a_stable_name) {
  // remote_actor compares interfaces by these names, so they must not drift.
  BOOST_TEST(std::string{caf::type_name<generate_request>::value} == "sonnet::generate_request");
  BOOST_TEST(std::string{caf::type_name<sonnet_reply>::value} == "sonnet::sonnet_reply");
  BOOST_TEST(sys.types().portable_name(0, &typeid(sonnet_reply)) == "sonnet::sonnet_reply");
  BOOST_TEST(sys.types().portable_name(0, &typeid(continue_request)) == "sonnet::continue_request");
  BOOST_TEST(sys.types().portable_name(0, &typeid(service_actor)) == "sonnet::service_actor");
}

BOOST_AUTO_TEST_CASE(sonnet_errors_keep_code_and_message) {
  auto e = make_caf_error(errc::prompt_too_long, "prompt is 1048576 bytes");
  BOOST_TEST(is(e, errc::prompt_too_long));
  BOOST_TEST(!is(e, errc::invalid_argument));
  auto back = from_caf(e);
  BOOST_TEST(back.code == errc::prompt_too_long);
  BOOST_TEST(back.message == "prompt is 1048576 bytes");
  auto e2 = roundtrip(e);
  BOOST_TEST(from_caf(e2).message == "prompt is 1048576 bytes");
  BOOST_TEST(sys.render(e).find("prompt_too_long") != std::string::npos);
  BOOST_TEST(from_caf(caf::make_error(caf::sec::request_timeout)).code == errc::timeout);
  BOOST_TEST(from_caf(caf::make_error(caf::sec::request_receiver_down)).code
             == errc::model_unavailable);
}

BOOST_AUTO_TEST_SUITE_END()
