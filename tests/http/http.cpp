#define BOOST_TEST_MODULE http
// sonnetd's HTTP/JSON API against a real daemon on an ephemeral port (--http-port=auto), with
// a small synchronous Boost.Beast client.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <random>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "tests/cluster/process.hpp"
#include "tests/shared_data.hpp"

namespace fs = std::filesystem;
namespace utf = boost::unit_test;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using namespace sonnet::test;
using namespace std::chrono_literals;

namespace {

const std::string& model_path = default_model;

struct reply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;
  std::string allow;
  json j() const { return json::parse(body, nullptr, false); }
};

/// One request on its own connection.
reply fetch(uint16_t port, bhttp::verb method, const std::string& target,
            const std::string& body = {}) {
  net::io_context ioc;
  tcp::socket sock{ioc};
  sock.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
  bhttp::request<bhttp::string_body> req{method, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!body.empty() || method == bhttp::verb::post) {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  beast::error_code ec;
  bhttp::write(sock, req, ec); // a refused large body may fail mid-way; read the answer anyway
  beast::flat_buffer buf;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64u << 20);
  bhttp::read(sock, buf, parser, ec);
  BOOST_REQUIRE_MESSAGE(!ec || parser.is_done(), "reading " << target << ": " << ec.message());
  auto& res = parser.get();
  reply out;
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  out.content_type = std::string(res[bhttp::field::content_type]);
  out.retry_after = std::string(res[bhttp::field::retry_after]);
  out.allow = std::string(res[bhttp::field::allow]);
  return out;
}

reply get(uint16_t port, const std::string& target) {
  return fetch(port, bhttp::verb::get, target);
}

reply post(uint16_t port, const std::string& target, const std::string& body) {
  return fetch(port, bhttp::verb::post, target, body);
}

/// A metric's value from Prometheus text ("name{labels} value"), or -1 when absent.
double metric(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    auto sp = line.rfind(' ');
    if (sp != std::string::npos && line.substr(0, sp) == series)
      return std::stod(line.substr(sp + 1));
  }
  return -1;
}

/// A sonnetd with the HTTP API on a free port, in a scratch directory.
struct daemon_fixture {
  fs::path dir;
  std::unique_ptr<process> proc;
  uint16_t port = 0;

  daemon_fixture() {
    std::random_device rd;
    dir =
      fs::temp_directory_path() / ("sonnet-http-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir);
  }
  ~daemon_fixture() {
    proc.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  void start(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{SONNETD, "--port=0", "--http-port=auto",
                                  "--db=" + (dir / "sonnets.db").string(), "--model=" + model_path};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc = std::make_unique<process>(argv, (dir / "log.txt").string());
    auto p = proc->wait_for("http listening on [0-9.]+:([0-9]+)", 60s);
    BOOST_REQUIRE_MESSAGE(p, "sonnetd did not start its HTTP API: " << proc->output());
    port = static_cast<uint16_t>(std::stoi(*p));
  }

  int64_t count() {
    auto r = get(port, "/v1/stats");
    BOOST_REQUIRE_EQUAL(r.status, 200);
    return r.j().at("sonnet_count").get<int64_t>();
  }

  /// Waits until /metrics shows `n` calls in flight.
  void wait_in_flight(double n) {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (metric(get(port, "/metrics").body, "sonnet_http_requests_in_flight") == n)
        return;
      std::this_thread::sleep_for(20ms);
    }
    BOOST_FAIL("in flight never reached " << n);
  }
};

void check_error(const reply& r, int status, const std::string& code) {
  BOOST_TEST_CONTEXT("status " << r.status << " body " << r.body) {
    BOOST_TEST(r.status == status);
    auto j = r.j();
    BOOST_REQUIRE(j.is_object());
    BOOST_TEST(j.at("error").at("code").get<std::string>() == code);
    BOOST_TEST(!j.at("error").at("message").get<std::string>().empty());
    BOOST_TEST(r.content_type == "application/json");
  }
}

const std::string long_request = R"({"prompt": "the sea", "seed": 11, "candidates": 16})";
/// The same with a fixed temperature: two of them are the same work, whatever ran before.
const std::string long_fixed_request =
  R"({"prompt": "the sea", "seed": 11, "candidates": 16, "temperature": 0.8})";

/// Server-sent events of a body, in order: (event, data).
/// Parsed by hand: std::regex recurses per character and overflows the stack on a long `data:`
/// line (the sonnet event, with its reading) under ASan.
std::vector<std::pair<std::string, std::string>> sse_events(const std::string& body) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string ev = "event: ", data = "\ndata: ";
  for (size_t at = body.find(ev); at != std::string::npos; at = body.find(ev, at)) {
    auto name_end = body.find(data, at);
    auto data_end = name_end == std::string::npos ? name_end : body.find("\n\n", name_end + 1);
    if (data_end == std::string::npos)
      break;
    auto name = body.substr(at + ev.size(), name_end - at - ev.size());
    auto text = body.substr(name_end + data.size(), data_end - name_end - data.size());
    if (name.find('\n') == std::string::npos && text.find('\n') == std::string::npos)
      out.emplace_back(std::move(name), std::move(text));
    at = data_end + 2;
  }
  return out;
}

/// Sends a long generate and leaves in the middle: for a stream once the first token event has
/// arrived, else once the server has the request in flight.
void leave_mid_request(uint16_t port, bool stream, const std::function<void()>& wait_in_flight_1) {
  net::io_context ioc;
  tcp::socket sock{ioc};
  sock.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
  bhttp::request<bhttp::string_body> req{bhttp::verb::post,
                                         stream ? "/v1/sonnets?stream=1" : "/v1/sonnets", 11};
  req.set(bhttp::field::host, "127.0.0.1");
  req.body() = long_fixed_request;
  req.prepare_payload();
  bhttp::write(sock, req);
  if (!stream) {
    wait_in_flight_1();
    return; // closes the socket
  }
  std::string got;
  char buf[4096];
  beast::error_code ec;
  while (got.find("event: token") == std::string::npos && !ec)
    got.append(buf, sock.read_some(net::buffer(buf), ec));
  BOOST_REQUIRE_MESSAGE(!ec, "the stream ended before its first token: " << got);
}

} // namespace

BOOST_AUTO_TEST_SUITE(api)

BOOST_FIXTURE_TEST_CASE(post_gives_a_sonnet_that_stats_and_queries_see, daemon_fixture) {
  start();
  BOOST_TEST(get(port, "/healthz").status == 200);
  BOOST_TEST(count() == 0);
  auto r = post(port, "/v1/sonnets", R"({"prompt": "the sea at night", "seed": 7})");
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  auto s = r.j();
  BOOST_TEST(s.at("lines").size() == 14u);
  BOOST_TEST(s.at("id").get<int64_t>() >= 1);
  BOOST_TEST(s.at("dissonance").is_number());
  BOOST_TEST(s.at("pulse").at("novelty").is_number());
  BOOST_TEST(s.at("seed").get<uint64_t>() == 7u);
  BOOST_TEST(s.at("tokens").get<int64_t>() > 0);
  auto id = s.at("id").get<int64_t>();

  BOOST_TEST(count() == 1);
  auto one = get(port, "/v1/sonnets/" + std::to_string(id));
  BOOST_REQUIRE_EQUAL(one.status, 200);
  BOOST_TEST(one.j().at("text") == s.at("text"));
  auto recent = get(port, "/v1/sonnets?recent=5");
  BOOST_REQUIRE_EQUAL(recent.status, 200);
  BOOST_TEST(recent.j().size() == 1u);
  auto best = get(port, "/v1/sonnets?best=5&min_quality=0");
  BOOST_REQUIRE_EQUAL(best.status, 200);
  BOOST_TEST(best.j().size() == 1u);
  BOOST_TEST(get(port, "/v1/sonnets?best=5&min_quality=1.5").j().empty());
  auto stats = get(port, "/v1/stats").j();
  for (auto key : {"sonnet_count", "avg_quality", "avg_dissonance", "vocab_size"})
    BOOST_TEST(stats.contains(key), key);
  check_error(get(port, "/v1/sonnets/99999"), 404, "no_such_sonnet");

  // Prometheus text: counters by route and status, tokens, the latency histogram.
  auto m = get(port, "/metrics");
  BOOST_REQUIRE_EQUAL(m.status, 200);
  BOOST_TEST(m.content_type.rfind("text/plain", 0) == 0);
  BOOST_TEST(m.body.find("# TYPE sonnet_http_requests_total counter") != std::string::npos);
  BOOST_TEST(metric(m.body, R"(sonnet_http_requests_total{route="POST /v1/sonnets",status="200"})")
             == 1);
  BOOST_TEST(metric(m.body, "sonnet_tokens_generated_total") == s.at("tokens").get<double>());
  BOOST_TEST(
    metric(m.body, R"(sonnet_http_request_duration_seconds_count{route="POST /v1/sonnets"})") == 1);
  BOOST_TEST(
    metric(m.body,
           R"(sonnet_http_request_duration_seconds_bucket{route="POST /v1/sonnets",le="+Inf"})")
    == 1);
  BOOST_TEST(metric(m.body, R"(sonnet_http_errors_total{kind="no_such_sonnet"})") == 1);
  BOOST_TEST(metric(m.body, "sonnet_http_requests_in_flight") == 0);
}

BOOST_FIXTURE_TEST_CASE(phase_and_brain_routes_follow_the_stored_sonnets, daemon_fixture) {
  start();
  auto p0 = get(port, "/v1/phase");
  BOOST_REQUIRE_EQUAL(p0.status, 200);
  BOOST_TEST(p0.j().at("phase") == "LIQUID");
  BOOST_TEST(p0.j().at("observations").get<int64_t>() == 0);
  auto r = post(port, "/v1/sonnets", R"({"prompt": "the sea", "seed": 3, "temperature_policy": "phases"})");
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  auto s = r.j();
  BOOST_TEST(s.at("phase") == "LIQUID");
  BOOST_TEST(s.at("temperature").get<double>() == 0.8);
  BOOST_REQUIRE(s.at("brain").is_number());
  auto id = std::to_string(s.at("id").get<int64_t>());
  auto p1 = get(port, "/v1/phase").j();
  BOOST_TEST(p1.at("observations").get<int64_t>() == 1);
  BOOST_TEST(p1.at("duration").get<int64_t>() == 1);
  auto b = get(port, "/v1/sonnets/" + id + "/brain");
  BOOST_REQUIRE_MESSAGE(b.status == 200, b.body);
  auto bj = b.j();
  BOOST_TEST(bj.at("id").get<int64_t>() == s.at("id").get<int64_t>());
  BOOST_TEST(bj.at("features").size() == 8u);
  BOOST_TEST(bj.at("features").at("line_count").get<double>() == 14.0);
  BOOST_TEST(bj.at("observations").get<int64_t>() == 1);
  check_error(get(port, "/v1/sonnets/99999/brain"), 404, "no_such_sonnet");
  check_error(get(port, "/v1/sonnets/x/brain"), 400, "bad_request");
  check_error(get(port, "/v1/sonnets/1/mind"), 404, "not_found");
  check_error(post(port, "/v1/sonnets", R"({"prompt": "", "temperature_policy": "storm"})"), 400,
              "bad_request");
  BOOST_TEST(count() == 1); // the refusal stored nothing
  // Bands by default: no phase named.
  auto r2 = post(port, "/v1/sonnets", R"({"prompt": "the sea", "seed": 4})");
  BOOST_REQUIRE_EQUAL(r2.status, 200);
  BOOST_TEST(r2.j().at("phase").is_null());
}

BOOST_FIXTURE_TEST_CASE(without_the_emergent_layer_its_routes_say_so, daemon_fixture) {
  start({"--emergent=off"});
  check_error(get(port, "/v1/phase"), 503, "emergent_off");
  auto r = post(port, "/v1/sonnets", R"({"prompt": "", "seed": 5})");
  BOOST_REQUIRE_EQUAL(r.status, 200);
  BOOST_TEST(r.j().at("brain").is_null());
}

/// The sonnets of a series' measure, as (first_id, mean) pairs.
std::vector<std::pair<int64_t, double>> means(const json& series, const char* measure) {
  std::vector<std::pair<int64_t, double>> out;
  for (size_t i = 0; i < series.at("first_id").size(); ++i)
    out.emplace_back(series.at("first_id")[i].get<int64_t>(),
                     series.at(measure).at("mean")[i].get<double>());
  return out;
}

BOOST_FIXTURE_TEST_CASE(cloud_series_has_every_sonnet_and_buckets_on_request, daemon_fixture) {
  start();
  auto empty = get(port, "/v1/cloud/series");
  BOOST_REQUIRE_MESSAGE(empty.status == 200, empty.body);
  BOOST_TEST(empty.j().at("sonnet_count") == 0);
  BOOST_TEST(empty.j().at("first_id").empty());
  std::vector<json> stored;
  for (int seed : {1, 2, 3}) {
    auto r = post(port, "/v1/sonnets", json{{"prompt", "the sea"}, {"seed", seed}}.dump());
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    stored.push_back(r.j());
  }
  auto all = get(port, "/v1/cloud/series?points=100");
  BOOST_REQUIRE_MESSAGE(all.status == 200, all.body);
  BOOST_TEST(all.content_type == "application/json");
  auto j = all.j();
  BOOST_TEST(j.at("sonnet_count") == 3);
  BOOST_TEST(j.at("bucket_width") == 1);
  auto d = means(j, "dissonance");
  auto q = means(j, "quality");
  BOOST_REQUIRE_EQUAL(d.size(), 3u);
  for (size_t i = 0; i < 3; ++i) { // one point per sonnet, its own values (4 decimals)
    BOOST_TEST(d[i].first == stored[i].at("id").get<int64_t>());
    BOOST_TEST(d[i].second == stored[i].at("dissonance").get<double>(),
               boost::test_tools::tolerance(1e-3));
    BOOST_TEST(q[i].second == stored[i].at("quality").get<double>(),
               boost::test_tools::tolerance(1e-3));
  }
  auto one = get(port, "/v1/cloud/series?points=1").j(); // one bucket: the whole cloud
  BOOST_TEST(one.at("first_id").size() == 1u);
  BOOST_TEST(one.at("count")[0] == 3);
  BOOST_TEST(one.at("bucket_width") == 3);
  const double mean =
    (stored[0].at("dissonance").get<double>() + stored[1].at("dissonance").get<double>()
     + stored[2].at("dissonance").get<double>())
    / 3;
  BOOST_TEST(one.at("dissonance").at("mean")[0].get<double>() == mean,
             boost::test_tools::tolerance(1e-3));
  for (auto bad : {"0", "2001", "abc", "-1"})
    check_error(get(port, std::string("/v1/cloud/series?points=") + bad), 400, "bad_request");
  BOOST_TEST(get(port, "/v1/cloud/series?points=0").j().at("error").at("field") == "points");
  check_error(post(port, "/v1/cloud/series", "{}"), 405, "method_not_allowed");
}

BOOST_FIXTURE_TEST_CASE(every_sonnet_comes_with_its_close_reading, daemon_fixture) {
  start();
  auto r = post(port, "/v1/sonnets", R"({"prompt": "the sea at night", "seed": 7})");
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  auto s = r.j();
  const auto& rd = s.at("reading");
  BOOST_REQUIRE_EQUAL(rd.at("lines").size(), 14u);
  const std::string scheme = "ABABCDCDEFEFGG";
  int rhyming = 0;
  for (size_t i = 0; i < 14; ++i) {
    const auto& l = rd.at("lines")[i];
    BOOST_TEST(l.at("text") == s.at("lines")[i]);
    BOOST_TEST(l.at("letter") == scheme.substr(i, 1));
    // The same analysis the quality was computed from (the reply's own "analysis").
    BOOST_TEST(l.at("syllables") == s.at("analysis")[i].at("syllables"));
    BOOST_TEST(l.at("stress") == s.at("analysis")[i].at("stress"));
    std::string joined; // the words' stresses make up the line's
    for (const auto& w : l.at("words"))
      joined += w.at("stress").get<std::string>();
    BOOST_TEST(joined == l.at("stress").get<std::string>());
    BOOST_TEST(!l.at("words").empty());
  }
  for (const auto& p : rd.at("pairs"))
    rhyming += p.at("rhymes").get<bool>();
  BOOST_TEST(rd.at("pairs").size() == 7u);
  BOOST_TEST(rhyming == s.at("rhyme_pairs").get<int>());
  BOOST_TEST(rd.at("meter").get<double>() == s.at("meter").get<double>(),
             boost::test_tools::tolerance(1e-9));
  // A stored sonnet reads the same.
  auto again = get(port, "/v1/sonnets/" + std::to_string(s.at("id").get<int64_t>()));
  BOOST_REQUIRE_EQUAL(again.status, 200);
  BOOST_TEST(again.j().at("reading") == rd);
}

BOOST_FIXTURE_TEST_CASE(refusals_write_nothing, daemon_fixture) {
  start();
  check_error(post(port, "/v1/sonnets", "{\"prompt\": "), 400, "bad_request");
  check_error(post(port, "/v1/sonnets", "[1, 2]"), 400, "bad_request");
  check_error(post(port, "/v1/sonnets", "{}"), 400, "bad_request");
  check_error(post(port, "/v1/sonnets", R"({"prompt": 5})"), 400, "bad_request");
  check_error(post(port, "/v1/sonnets", R"({"prompt": "x", "temperature": -1})"), 400,
              "bad_request");
  check_error(post(port, "/v1/sonnets", R"({"prompt": "x", "temperature": NaN})"), 400,
              "bad_request");
  check_error(post(port, "/v1/sonnets", R"({"prompt": "x", "temperature": 1e999})"), 400,
              "bad_request");
  check_error(post(port, "/v1/sonnets", R"({"prompt": "x", "temperature": "hot"})"), 400,
              "bad_request");
  check_error(post(port, "/v1/sonnets", R"({"prompt": "x", "tokens": 0})"), 400, "bad_request");
  check_error(post(port, "/v1/sonnets", R"({"prompt": "x", "tokens": 2.5})"), 400, "bad_request");
  check_error(post(port, "/v1/sonnets", R"({"prompt": "x", "seed": -3})"), 400, "bad_request");
  check_error(post(port, "/v1/sonnets", R"({"prompt": "x", "colour": "red"})"), 400, "bad_request");
  check_error(post(port, "/v1/sonnets", json{{"prompt", std::string(3000, 'a')}}.dump()), 400,
              "prompt_too_long");
  // 3 MB body: refused before it is read.
  check_error(post(port, "/v1/sonnets", json{{"prompt", std::string(3u << 20, 'a')}}.dump()), 413,
              "payload_too_large");
  check_error(get(port, "/v2/nothing"), 404, "not_found");
  check_error(get(port, "/v1/sonnets/1/lines"), 404, "not_found");
  auto del = fetch(port, bhttp::verb::delete_, "/v1/sonnets");
  check_error(del, 405, "method_not_allowed");
  BOOST_TEST(del.allow == "GET, POST");
  check_error(post(port, "/v1/stats", "{}"), 405, "method_not_allowed");
  check_error(post(port, "/healthz", "{}"), 405, "method_not_allowed");
  check_error(get(port, "/v1/sonnets"), 400, "bad_request");
  check_error(get(port, "/v1/sonnets?recent=0"), 400, "bad_request");
  check_error(get(port, "/v1/sonnets?best=3&min_quality=nan"), 400, "bad_request");
  check_error(get(port, "/v1/sonnets/abc"), 400, "bad_request");
  BOOST_TEST(count() == 0);
  auto m = get(port, "/metrics").body;
  BOOST_TEST(metric(m, R"(sonnet_http_errors_total{kind="payload_too_large"})") == 1);
  BOOST_TEST(metric(m, R"(sonnet_http_requests_total{route="POST /v1/sonnets",status="413"})")
             == 1);
  BOOST_TEST(metric(m, R"(sonnet_http_requests_total{route="unknown",status="404"})") == 2);
  // The daemon survived all of it.
  BOOST_TEST(post(port, "/v1/sonnets", R"({"prompt": "", "seed": 1})").status == 200);
  BOOST_TEST(count() == 1);
}

BOOST_FIXTURE_TEST_CASE(healthz_answers_and_429_while_a_long_generation_runs, daemon_fixture) {
  start({"--http-max-in-flight=1"});
  auto first =
    std::async(std::launch::async, [&] { return post(port, "/v1/sonnets", long_request); });
  wait_in_flight(1);
  auto t0 = std::chrono::steady_clock::now();
  auto h = get(port, "/healthz");
  auto dt = std::chrono::steady_clock::now() - t0;
  BOOST_TEST(h.status == 200);
  BOOST_TEST(h.j().at("status") == "ok");
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(dt).count() < 1000);
  auto second = post(port, "/v1/sonnets", long_request);
  check_error(second, 429, "too_many_requests");
  BOOST_TEST(second.retry_after == "1");
  check_error(get(port, "/v1/stats"), 429, "too_many_requests");
  BOOST_TEST((first.wait_for(100ms) == std::future_status::timeout),
             "the long request ended too soon for this test to mean anything");
  auto r = first.get();
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  BOOST_TEST(r.j().at("candidates") == 16);
  BOOST_TEST(count() == 1); // the refused one wrote nothing
}

BOOST_FIXTURE_TEST_CASE(streaming_sends_the_lines_as_events, daemon_fixture) {
  start();
  auto r = post(port, "/v1/sonnets?stream=1", R"({"prompt": "the moon", "seed": 5})");
  BOOST_REQUIRE_EQUAL(r.status, 200);
  BOOST_TEST(r.content_type == "text/event-stream");
  auto events = sse_events(r.body);
  auto lines =
    std::count_if(events.begin(), events.end(), [](const auto& e) { return e.first == "line"; });
  BOOST_TEST(lines == 14);
  auto pos = r.body.find("event: sonnet\ndata: ");
  BOOST_REQUIRE(pos != std::string::npos);
  auto data = r.body.substr(pos + 20);
  auto s = json::parse(data.substr(0, data.find('\n')));
  BOOST_TEST(s.at("lines").size() == 14u);
  BOOST_TEST(count() == 1);
  auto other = post(port, "/v1/sonnets/stream", R"({"prompt": "x", "tokens": -1})");
  check_error(other, 400, "bad_request");
}

BOOST_FIXTURE_TEST_CASE(a_client_that_leaves_is_counted_and_stops_waiting, daemon_fixture) {
  start();
  {
    net::io_context ioc;
    tcp::socket sock{ioc};
    sock.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/v1/sonnets", 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.body() = long_request;
    req.prepare_payload();
    bhttp::write(sock, req);
    wait_in_flight(1);
  } // closes the socket
  wait_in_flight(0);
  auto m = get(port, "/metrics").body;
  BOOST_TEST(metric(m, R"(sonnet_http_errors_total{kind="client_disconnect"})") == 1);
  BOOST_TEST(metric(m, R"(sonnet_http_requests_total{route="POST /v1/sonnets",status="499"})")
             == 1);
}

BOOST_FIXTURE_TEST_CASE(streaming_sends_tokens_as_they_are_generated, daemon_fixture) {
  start();
  auto r = post(port, "/v1/sonnets?stream=1", R"({"prompt": "the moon", "seed": 9})");
  BOOST_REQUIRE_EQUAL(r.status, 200);
  auto events = sse_events(r.body);
  std::string raw;
  size_t tokens = 0;
  size_t sonnet_at = events.size();
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].first == "sonnet")
      sonnet_at = i;
    if (events[i].first != "token")
      continue;
    BOOST_TEST(i < sonnet_at); // every token event comes before the sonnet
    auto t = json::parse(events[i].second);
    BOOST_TEST(t.at("candidate").get<int>() == 0);
    raw += t.at("text").get<std::string>();
    ++tokens;
  }
  BOOST_REQUIRE(sonnet_at < events.size());
  BOOST_TEST(tokens > 10u);                  // a few tokens per event, not the text at the end
  BOOST_TEST(raw.rfind("the moon", 0) == 0); // the prompt as the model read it, then its text
  auto s = json::parse(events[sonnet_at].second);
  BOOST_REQUIRE_EQUAL(s.at("lines").size(), 14u);
  for (const auto& line : s.at("lines")) // the sonnet's lines are the streamed text's
    BOOST_TEST(raw.find(line.get<std::string>()) != std::string::npos, line);
  BOOST_TEST(count() == 1);
}

/// A client leaves mid-request (POST or stream): the cancel counter goes up, nothing is stored.
void check_leaving_cancels(daemon_fixture& d, bool stream) {
  auto before = d.count();
  double cancelled = 0;
  // The request must still be running when the client leaves; on a machine slow enough to
  // finish it first (then it is stored, and not counted), try again.
  for (int attempt = 0; attempt < 3 && cancelled == 0; ++attempt) {
    leave_mid_request(d.port, stream, [&] { d.wait_in_flight(1); });
    d.wait_in_flight(0);
    cancelled = metric(get(d.port, "/metrics").body, "sonnet_http_generate_cancelled_total");
    if (cancelled == 0)
      before = d.count();
  }
  BOOST_REQUIRE(cancelled == 1);
  BOOST_TEST(d.count() == before);
  // The same work again, to the end. Had the cancelled request gone on, it would have been
  // stored first (it started earlier and the model advances all sequences together).
  auto r = post(d.port, "/v1/sonnets", long_fixed_request);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  BOOST_TEST(d.count() == before + 1);
  BOOST_TEST(r.j().at("id").get<int64_t>() == before + 1);
}

BOOST_FIXTURE_TEST_CASE(a_client_that_leaves_cancels_its_sonnet, daemon_fixture) {
  start();
  check_leaving_cancels(*this, false);
}

BOOST_FIXTURE_TEST_CASE(a_stream_client_that_leaves_cancels_its_sonnet, daemon_fixture) {
  start();
  check_leaving_cancels(*this, true);
}

BOOST_FIXTURE_TEST_CASE(sigterm_stops_http_then_drains, daemon_fixture) {
  start();
  BOOST_TEST(get(port, "/healthz").status == 200);
  proc->signal(SIGTERM);
  auto code = proc->wait(30s);
  BOOST_REQUIRE(code);
  BOOST_TEST(*code == 0);
  auto out = proc->output();
  auto stopped = out.find("http stopped");
  auto drained = out.find("drained");
  BOOST_TEST(stopped != std::string::npos);
  BOOST_TEST(drained != std::string::npos);
  BOOST_TEST(stopped < drained);
}

BOOST_FIXTURE_TEST_CASE(connection_limits_come_from_the_config, daemon_fixture) {
  start({"--http-max-connections-per-address=2", "--http-head-timeout=1s"});
  net::io_context ioc;
  std::vector<tcp::socket> held;
  for (int i = 0; i < 2; ++i) {
    held.emplace_back(ioc);
    held.back().connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
  }
  // The third from the same address: 503, then closed.
  tcp::socket third{ioc};
  third.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
  beast::flat_buffer buf;
  bhttp::response<bhttp::string_body> res;
  beast::error_code ec;
  bhttp::read(third, buf, res, ec);
  BOOST_TEST(res.result_int() == 503u);
  BOOST_TEST(json::parse(res.body()).at("error").at("code") == "too_many_connections");
  // The idle ones are closed at the head deadline; then there is room again.
  char c;
  held[0].read_some(net::buffer(&c, 1), ec);
  BOOST_TEST(ec == net::error::eof);
  BOOST_TEST(get(port, "/healthz").status == 200);
}

BOOST_FIXTURE_TEST_CASE(bad_http_options_are_refused, daemon_fixture) {
  process p({SONNETD, "--http-port=eighty", "--db=" + (dir / "x.db").string()},
            (dir / "bad.txt").string());
  auto code = p.wait(30s);
  BOOST_REQUIRE(code);
  BOOST_TEST(*code == 2);
  BOOST_TEST(p.output().find("--http-port") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(page)

BOOST_FIXTURE_TEST_CASE(index_is_served, daemon_fixture) {
  start();
  auto r = get(port, "/");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.content_type.rfind("text/html", 0) == 0);
  BOOST_TEST(r.body.find("<ol id=\"lines\">") != std::string::npos);
}

// The page in a real browser: tests/browser (selenium + chromium-driver, ctest test_browser).
BOOST_FIXTURE_TEST_CASE(page_is_self_contained, daemon_fixture) {
  start();
  auto r = get(port, "/");
  BOOST_REQUIRE_EQUAL(r.status, 200);
  // Everything inline: no script, stylesheet or image from anywhere else (no CDN).
  for (auto needle : {"src=\"", "href=\"http", "@import", "<link"})
    BOOST_TEST(r.body.find(needle) == std::string::npos, needle);
  BOOST_TEST(r.body.find("/v1/cloud/series") != std::string::npos);
  BOOST_TEST(r.body.find("<section id=\"reading\"") != std::string::npos);
  BOOST_TEST(r.body.find("/*@PAGE_JS@*/") == std::string::npos); // the script was inlined
  BOOST_TEST_MESSAGE("page size: " << r.body.size() << " bytes");
}

BOOST_AUTO_TEST_SUITE_END()
