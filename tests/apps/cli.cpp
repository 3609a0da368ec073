#define BOOST_TEST_MODULE apps
// The `sonnet` CLI and the embedded example host, run as real processes.
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
namespace utf = boost::unit_test;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

struct outcome {
  int rc = -1;
  std::string out;
  std::string err;
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s)
    q += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return q + "'";
}

struct cli {
  fs::path dir;
  cli() {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("sonnet-cli-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir);
  }
  ~cli() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string file(const std::string& name) const { return (dir / name).string(); }

  /// Runs `sonnet ARGS` (ARGS already shell-quoted) with `input` on stdin.
  outcome sonnet(const std::string& args, const std::string& input = "") const {
    return run(quote(SONNET_CLI) + " " + args, input);
  }

  outcome run(const std::string& cmd, const std::string& input = "") const {
    auto in = file("stdin"), out = file("stdout"), err = file("stderr");
    std::ofstream(in, std::ios::binary) << input;
    auto full = "cd " + quote(dir.string()) + " && " + cmd + " < " + in + " > " + out + " 2> "
                + err;
    int status = std::system(full.c_str());
    outcome o;
    o.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    o.out = slurp(out);
    o.err = slurp(err);
    return o;
  }

  /// A writable copy of the prototype's cloud.
  std::string prototype_copy(const std::string& name = "proto.db") const {
    auto path = file(name);
    fs::copy_file(SONNET_SHARED_DIR "/data/python_cloud_sonnets.db", path);
    fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
    return path;
  }
};

struct have_shared_data {
  boost::test_tools::assertion_result operator()(utf::test_unit_id) const {
    boost::test_tools::assertion_result r{
      fs::exists(SONNET_SHARED_DIR "/data/shakespeare_gpt.npz")
      && fs::exists(SONNET_SHARED_DIR "/data/python_cloud_sonnets.db")};
    if (!r)
      r.message() << "skipped: " SONNET_SHARED_DIR "/data is absent (configure with "
                     "-DSONNET_SHARED_DIR=DIR pointing at the checkpoint and cloud)";
    return r;
  }
};

const char* raw_text = "\nFIRST CITIZEN:\nBefore we proceed any further, hear me speak.\n"
                       "ALL:\nSpeak, speak.\n";

std::string fourteen_clean_lines() {
  std::string raw = "ROMEO:\n";
  for (int i = 0; i < 16; ++i)
    raw += "Shall I compare thee to a summer's day number " + std::to_string(i) + "\n";
  return raw;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(cli_usage, cli)

BOOST_AUTO_TEST_CASE(help_tells_the_commands_and_options) {
  auto o = sonnet("--help");
  BOOST_TEST(o.rc == 0);
  for (auto cmd : {"generate", "logits", "format", "dissonance", "stats", "recent", "best", "chat"})
    BOOST_TEST(o.out.find(cmd) != std::string::npos, cmd);
  auto g = sonnet("generate --help");
  BOOST_TEST(g.rc == 0);
  BOOST_TEST(g.out.find("--concurrency") != std::string::npos);
  BOOST_TEST(g.out.find("--tokens") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2) {
  BOOST_TEST(sonnet("").rc == 2);
  auto o = sonnet("compose");
  BOOST_TEST(o.rc == 2);
  BOOST_TEST(o.err.find("unknown command 'compose'") != std::string::npos);
  auto f = sonnet("generate --colour red");
  BOOST_TEST(f.rc == 2);
  BOOST_TEST(f.err.find("unknown option '--colour'") != std::string::npos);
  BOOST_TEST(sonnet("generate --temperature warm").rc == 2);
  BOOST_TEST(sonnet("generate --tokens").rc == 2);
  BOOST_TEST(sonnet("stats extra").rc == 2);
  BOOST_TEST(sonnet("logits --window sideways").rc == 2);
}

BOOST_AUTO_TEST_CASE(format_cuts_fourteen_lines_or_fails) {
  auto ok = sonnet("format", fourteen_clean_lines());
  BOOST_TEST(ok.rc == 0);
  BOOST_TEST(std::count(ok.out.begin(), ok.out.end(), '\n') == 14);
  BOOST_TEST(ok.out.rfind("Shall I compare thee to a summer's day number 0", 0) == 0);
  auto few = sonnet("format", raw_text);
  BOOST_TEST(few.rc == 1);
  BOOST_TEST(few.err.find("found 2") != std::string::npos);
  BOOST_TEST(few.out.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(cli_pipeline, cli)

BOOST_AUTO_TEST_CASE(generate_16_concurrent_sonnets, *utf::precondition(have_shared_data{})) {
  auto o = sonnet("generate --count 16 --concurrency 16 --json --seed 500 --db c.db");
  BOOST_REQUIRE_MESSAGE(o.rc == 0, o.err);
  std::istringstream lines(o.out);
  std::string line;
  std::set<int64_t> ids;
  std::set<uint64_t> seeds;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    BOOST_TEST(j["lines"].size() == 14u);
    for (auto key : {"id", "text", "dissonance", "pulse", "quality", "temperature", "tokens",
                     "timings"})
      BOOST_TEST(j.contains(key), key);
    ids.insert(j["id"].get<int64_t>());
    seeds.insert(j["seed"].get<uint64_t>());
  }
  BOOST_TEST(ids.size() == 16u);
  BOOST_TEST(seeds.size() == 16u);
  BOOST_TEST(*seeds.begin() == 500u);
  auto st = sonnet("stats --json --db c.db");
  BOOST_TEST(nlohmann::json::parse(st.out)["sonnet_count"] == 16);
  auto replay = sonnet("replay --json --db c.db");
  BOOST_TEST(replay.rc == 0);
  auto r = nlohmann::json::parse(replay.out);
  BOOST_TEST(r["sonnets_checked"] == 16);
  BOOST_TEST(r["clean"] == true);
}

BOOST_AUTO_TEST_CASE(raw_generation_is_reproducible, *utf::precondition(have_shared_data{})) {
  auto a = sonnet("generate --raw --tokens 200 --seed 11");
  auto b = sonnet("generate --raw --tokens 200 --seed 11");
  auto c = sonnet("generate --raw --tokens 200 --seed 12");
  BOOST_TEST(a.rc == 0);
  BOOST_TEST(a.out.size() >= 200u);
  BOOST_TEST(a.out == b.out);
  BOOST_TEST(a.out != c.out);
  auto l = sonnet("logits --prompt ROMEO --json");
  BOOST_TEST(l.rc == 0);
  BOOST_TEST(nlohmann::json::parse(l.out)["logits"].size() == 65u);
}

BOOST_AUTO_TEST_CASE(queries_read_the_prototype_cloud, *utf::precondition(have_shared_data{})) {
  auto db = prototype_copy();
  auto before = slurp(db);
  auto st = sonnet("stats --json --db " + quote(db));
  BOOST_REQUIRE_MESSAGE(st.rc == 0, st.err);
  BOOST_TEST(nlohmann::json::parse(st.out)["sonnet_count"] == 155);
  auto recent = sonnet("recent --json --limit 3 --db " + quote(db));
  BOOST_TEST(std::count(recent.out.begin(), recent.out.end(), '\n') == 3);
  auto best = sonnet("best --json --limit 500 --min-quality 0.7 --db " + quote(db));
  BOOST_TEST(best.rc == 0);
  std::istringstream in(best.out);
  std::string line;
  double last = 2;
  while (std::getline(in, line)) {
    auto q = nlohmann::json::parse(line)["quality"].get<double>();
    BOOST_TEST(q >= 0.7);
    BOOST_TEST(q <= last);
    last = q;
  }
  auto d = sonnet("dissonance --input 'love and time' --db " + quote(db),
                  "Love is not love\nWhich alters when it alteration finds\n");
  BOOST_REQUIRE_MESSAGE(d.rc == 0, d.err);
  auto j = nlohmann::json::parse(d.out);
  BOOST_TEST(j["dissonance"].get<double>() < 0.7); // the words are known to the cloud
  BOOST_TEST(j["pulse"].contains("novelty"));
  BOOST_TEST(slurp(db) == before); // queries never write
}

BOOST_AUTO_TEST_CASE(continues_the_prototype_cloud, *utf::precondition(have_shared_data{})) {
  auto db = prototype_copy();
  auto o = sonnet("generate --seed 3 --json --db " + quote(db));
  BOOST_REQUIRE_MESSAGE(o.rc == 0, o.err);
  BOOST_TEST(nlohmann::json::parse(o.out)["id"] == 156);
  auto integrity = run("sqlite3 " + quote(db) + " 'PRAGMA integrity_check'");
  if (integrity.rc == 0) // the sqlite3 shell is optional
    BOOST_TEST(integrity.out == "ok\n");
  BOOST_TEST(sonnet("replay --db " + quote(db)).rc == 0);
}

BOOST_AUTO_TEST_CASE(chat_answers_commands_and_words, *utf::precondition(have_shared_data{})) {
  auto o = sonnet("chat --db chat.db", "/stats\n\n/nonsense\nthe moon at night\n/recent\n/quit\n");
  BOOST_REQUIRE_MESSAGE(o.rc == 0, o.err);
  BOOST_TEST(o.out.find("sonnets 0") != std::string::npos);
  BOOST_TEST(o.out.find("Unknown command /nonsense") != std::string::npos);
  BOOST_TEST(o.out.find("dissonance") != std::string::npos);
  BOOST_TEST(o.out.find("#1 (quality") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(example_host_embeds_the_service, *utf::precondition(have_shared_data{})) {
  auto o = run(quote(EXAMPLE_HOST) + " " + quote(SONNET_SHARED_DIR "/data/shakespeare_gpt.npz")
               + " host.db 'a quiet garden'");
  BOOST_REQUIRE_MESSAGE(o.rc == 0, o.err);
  BOOST_TEST(o.out.find("id 1 dissonance") != std::string::npos);
  BOOST_TEST(o.out.find("cloud 1") != std::string::npos);
  BOOST_TEST(std::count(o.out.begin(), o.out.end(), '\n') == 16); // 14 lines + 2
}

BOOST_AUTO_TEST_SUITE_END()

// Every bad input is refused with a clear error and leaves the database byte-identical.
BOOST_FIXTURE_TEST_SUITE(cli_bad_input, cli)

BOOST_AUTO_TEST_CASE(bad_generation_parameters_write_nothing,
                     *utf::precondition(have_shared_data{})) {
  auto db = prototype_copy();
  auto before = slurp(db);
  std::ofstream(file("big.txt")) << std::string(1 << 20, 'a');
  struct bad {
    std::string args;
    std::string says;
  };
  for (auto& b : std::vector<bad>{{"--temperature nan", "temperature"},
                                  {"--temperature inf", "temperature"},
                                  {"--temperature -0.5", "temperature"},
                                  {"--tokens 0", "--tokens"},
                                  {"--tokens -5", "--tokens"},
                                  {"--count 0", "--count"},
                                  {"--concurrency 0", "--concurrency"},
                                  {"--top-k -1", "top-k"},
                                  {"--prompt-file big.txt", "prompt_too_long"},
                                  {"--prompt $'\\xff\\xfe'", "UTF-8"}}) {
    auto o = run("bash -c " + quote(quote(SONNET_CLI) + " generate --db " + quote(db) + " "
                                    + b.args));
    BOOST_TEST(o.rc == 1, b.args);
    BOOST_TEST(o.err.find(b.says) != std::string::npos, b.args << " -> " << o.err);
  }
  BOOST_TEST(slurp(db) == before);
}

BOOST_AUTO_TEST_CASE(files_that_are_not_clouds_are_left_alone) {
  auto text = file("notes.txt");
  std::ofstream(text) << "dear diary\n";
  auto o = sonnet("stats --db " + quote(text));
  BOOST_TEST(o.rc == 1);
  BOOST_TEST(o.err.find("not_a_sonnet_cloud") != std::string::npos);
  BOOST_TEST(slurp(text) == "dear diary\n");
  auto g = sonnet("generate --db " + quote(text));
  BOOST_TEST(g.rc == 1);
  BOOST_TEST(slurp(text) == "dear diary\n");
  auto missing = sonnet("stats --db nowhere.db");
  BOOST_TEST(missing.rc == 1);
  BOOST_TEST(!fs::exists(file("nowhere.db"))); // a query never creates a cloud
}

BOOST_AUTO_TEST_CASE(a_foreign_sqlite_database_is_left_alone) {
  auto db = file("other.db");
  auto made = run("sqlite3 " + quote(db) + " 'CREATE TABLE people(name TEXT)'");
  if (made.rc != 0) {
    BOOST_TEST_MESSAGE("sqlite3 shell missing; skipped");
    return;
  }
  auto before = slurp(db);
  auto o = sonnet("generate --db " + quote(db));
  BOOST_TEST(o.rc == 1);
  BOOST_TEST(o.err.find("not_a_sonnet_cloud") != std::string::npos);
  BOOST_TEST(slurp(db) == before);
}

BOOST_AUTO_TEST_CASE(a_read_only_cloud_is_refused_for_writing,
                     *utf::precondition(have_shared_data{})) {
  auto db = prototype_copy();
  fs::permissions(db, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  auto before = slurp(db);
  auto o = sonnet("generate --seed 1 --db " + quote(db));
  BOOST_TEST(o.rc == 1);
  BOOST_TEST(o.err.find("db_read_only") != std::string::npos, o.err);
  BOOST_TEST(slurp(db) == before);
  BOOST_TEST(sonnet("stats --db " + quote(db)).rc == 0); // reading it is fine
}

BOOST_AUTO_TEST_CASE(a_bad_model_file_is_named_in_the_error) {
  auto model = file("broken.npz");
  std::ofstream(model) << "PK\x03\x04 truncated";
  auto o = sonnet("generate --db m.db --model " + quote(model));
  BOOST_TEST(o.rc == 1);
  BOOST_TEST(o.err.find(model) != std::string::npos);
  BOOST_TEST(o.err.find("bad_checkpoint") != std::string::npos);
  BOOST_TEST(!fs::exists(file("m.db")));
  auto raw = sonnet("generate --raw --model /dev/null");
  BOOST_TEST(raw.rc == 1);
  BOOST_TEST(raw.err.find("/dev/null") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
