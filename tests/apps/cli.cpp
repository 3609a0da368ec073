#define BOOST_TEST_MODULE apps
// The `sonnet` CLI and the embedded example host, run as real processes, with the model the
// repository ships (the CLI's default); only the prototype's cloud comes from ../shared.
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <csignal>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/sha256.hpp"
#include "tests/model/fixtures.hpp"
#include "tests/shared_data.hpp"

#include "tests/cluster/process.hpp"

namespace fs = std::filesystem;
namespace utf = boost::unit_test;
using sonnet::test::default_model;
using sonnet::test::have_prototype_cloud;

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
    auto full =
      "cd " + quote(dir.string()) + " && " + cmd + " < " + in + " > " + out + " 2> " + err;
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
    fs::copy_file(sonnet::test::prototype_cloud, path);
    fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
    return path;
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

/// ~5 KB of rhymed verse with structure to learn (deterministic).
std::string training_verse() {
  const char* lines[] = {"When I do count the clock that tells the time,\n",
                         "And see the brave day sunk in hideous night;\n",
                         "When I behold the violet past prime,\n",
                         "And sable curls all silver'd o'er with white;\n"};
  std::string s;
  for (int i = 0; s.size() < 5000; ++i)
    s += lines[i % 4];
  return s;
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

BOOST_AUTO_TEST_CASE(generate_16_concurrent_sonnets) {
  auto o = sonnet("generate --count 16 --concurrency 16 --json --seed 500 --db c.db");
  BOOST_REQUIRE_MESSAGE(o.rc == 0, o.err);
  std::istringstream lines(o.out);
  std::string line;
  std::set<int64_t> ids;
  std::set<uint64_t> seeds;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    BOOST_TEST(j["lines"].size() == 14u);
    for (auto key :
         {"id", "text", "dissonance", "pulse", "quality", "temperature", "tokens", "timings"})
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

BOOST_AUTO_TEST_CASE(raw_generation_is_reproducible) {
  auto a = sonnet("generate --raw --tokens 200 --seed 11");
  auto b = sonnet("generate --raw --tokens 200 --seed 11");
  auto c = sonnet("generate --raw --tokens 200 --seed 12");
  BOOST_TEST(a.rc == 0);
  BOOST_TEST(a.out.size() >= 200u);
  BOOST_TEST(a.out == b.out);
  BOOST_TEST(a.out != c.out);
  auto l = sonnet("logits --prompt ROMEO --json");
  BOOST_TEST(l.rc == 0);
  auto info = sonnet("info --json");
  BOOST_REQUIRE_MESSAGE(info.rc == 0, info.err);
  BOOST_TEST(nlohmann::json::parse(l.out)["logits"].size()
             == nlohmann::json::parse(info.out)["vocab_size"].get<std::size_t>());
}

// Seeds are one unsigned 64-bit range: its top works end to end and is printed unsigned; a
// decode cap of 1 queues the candidates and changes no text.
BOOST_AUTO_TEST_CASE(the_largest_seed_works_and_prints_unsigned) {
  const std::string top = "18446744073709551615";
  auto raw = sonnet("generate --raw --tokens 50 --seed " + top);
  BOOST_REQUIRE_MESSAGE(raw.rc == 0, raw.err);
  BOOST_TEST(raw.out.size() >= 50u);
  auto a = sonnet("generate --json --candidates 3 --seed " + top + " --db s.db");
  BOOST_REQUIRE_MESSAGE(a.rc == 0, a.err);
  auto j = nlohmann::json::parse(a.out);
  BOOST_TEST(j["seed"].is_number_unsigned());
  BOOST_TEST(j["seed"].get<uint64_t>() == 18446744073709551615ull);
  auto b = sonnet("generate --json --candidates 3 --max-sequences 1 --seed " + top + " --db t.db");
  BOOST_REQUIRE_MESSAGE(b.rc == 0, b.err);
  BOOST_TEST(nlohmann::json::parse(b.out)["text"] == j["text"]);
  auto text = sonnet("generate --seed " + top + " --db u.db");
  BOOST_REQUIRE_MESSAGE(text.rc == 0, text.err);
  BOOST_TEST(text.out.find("seed " + top) != std::string::npos, text.out);
}

// A config file with the CLI's keys is honoured (its db is the one queried).
BOOST_AUTO_TEST_CASE(a_config_file_sets_the_database) {
  auto g = sonnet("generate --seed 5 --db conf.db");
  BOOST_REQUIRE_MESSAGE(g.rc == 0, g.err);
  std::ofstream(file("cli.conf")) << "; sonnet's keys\ndb = \"" << file("conf.db") << "\"\n";
  auto s = sonnet("stats --json --config cli.conf");
  BOOST_REQUIRE_MESSAGE(s.rc == 0, s.err);
  BOOST_TEST(nlohmann::json::parse(s.out)["sonnet_count"] == 1);
}

BOOST_AUTO_TEST_CASE(queries_read_the_prototype_cloud, *utf::precondition(have_prototype_cloud{})) {
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

BOOST_AUTO_TEST_CASE(continues_the_prototype_cloud, *utf::precondition(have_prototype_cloud{})) {
  auto db = prototype_copy();
  auto o = sonnet("generate --seed 3 --json --db " + quote(db));
  BOOST_REQUIRE_MESSAGE(o.rc == 0, o.err);
  BOOST_TEST(nlohmann::json::parse(o.out)["id"] == 156);
  auto integrity = run("sqlite3 " + quote(db) + " 'PRAGMA integrity_check'");
  if (integrity.rc == 0) // the sqlite3 shell is optional
    BOOST_TEST(integrity.out == "ok\n");
  BOOST_TEST(sonnet("replay --db " + quote(db)).rc == 0);
}

BOOST_AUTO_TEST_CASE(chat_answers_commands_and_words) {
  auto o = sonnet("chat --db chat.db", "/stats\n\n/nonsense\nthe moon at night\n/recent\n/quit\n");
  BOOST_REQUIRE_MESSAGE(o.rc == 0, o.err);
  BOOST_TEST(o.out.find("sonnets 0") != std::string::npos);
  BOOST_TEST(o.out.find("Unknown command /nonsense") != std::string::npos);
  BOOST_TEST(o.out.find("dissonance") != std::string::npos);
  BOOST_TEST(o.out.find("#1 (quality") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(chat_has_the_prototypes_emergent_commands_without_its_crashes) {
  // The prototype's REPL died on /brain ID, /dream walk and /dream drift (spec defects 11-13);
  // here each answers, and the background writers store through the same path.
  auto script = "( echo 'the moon at night'; sleep 3; echo 'a winter rose'; sleep 3; "
                "printf '/phase\\n/brain\\n/brain 1\\n/brain x\\n/brain 999\\n"
                "/dream\\n/dream drift\\n/dream centroid\\n/dream sideways\\n/quit\\n' ) | "
                + quote(SONNET_CLI) + " chat --db chat.db";
  auto o = run("sh -c " + quote(script)); // the pipe, not run()'s own stdin, feeds the chat
  BOOST_REQUIRE_MESSAGE(o.rc == 0, o.err);
  BOOST_TEST_CONTEXT(o.out) {
    BOOST_TEST(o.out.find("temperature 0.800 (LIQUID)") != std::string::npos); // phases policy
    BOOST_TEST(o.out.find("Current phase: ") != std::string::npos);
    BOOST_TEST(o.out.find("Observations: ") != std::string::npos);
    BOOST_TEST(o.out.find("SonnetBrain score for #1:") != std::string::npos);
    BOOST_TEST(o.out.find("    coherence_score: ") != std::string::npos);
    BOOST_TEST(o.out.find("Invalid sonnet ID") != std::string::npos);
    BOOST_TEST(o.out.find("no_such_sonnet") != std::string::npos);
    BOOST_TEST(o.out.find("Dream mode: walk") != std::string::npos);
    BOOST_TEST(o.out.find("Dream mode: drift") != std::string::npos);
    BOOST_TEST(o.out.find("Centroid of ") != std::string::npos);
    BOOST_TEST(o.out.find("Unknown dream mode: sideways") != std::string::npos);
  }
  // Who wrote what, and the cloud still replays clean with the background rows in it.
  auto recent = sonnet("recent --db chat.db --limit 100 --json");
  BOOST_REQUIRE_EQUAL(recent.rc, 0);
  std::set<std::string> writers;
  std::istringstream lines(recent.out);
  for (std::string line; std::getline(lines, line);)
    writers.insert(nlohmann::json::parse(line)["added_by"].get<std::string>());
  BOOST_TEST(writers.count("user") == 1u);
  BOOST_TEST(writers.size() >= 2u, "no background writer stored anything");
  auto replay = sonnet("replay --db chat.db");
  BOOST_TEST(replay.rc == 0, replay.out << replay.err);
  // The same state through the query commands.
  auto phase = sonnet("phase --db chat.db --json");
  BOOST_REQUIRE_EQUAL(phase.rc, 0);
  BOOST_TEST(nlohmann::json::parse(phase.out)["observations"].get<int64_t>() == 2); // user turns
  auto brain = sonnet("brain --db chat.db --id 1 --json");
  BOOST_REQUIRE_EQUAL(brain.rc, 0);
  BOOST_TEST(nlohmann::json::parse(brain.out)["features"].size() == 8u);
}

BOOST_AUTO_TEST_CASE(example_host_embeds_the_service) {
  // No model named: the host finds the default model the way an installed one would.
  auto o = run("env -u SONNET_MODEL " + quote(EXAMPLE_HOST) + " host.db 'a quiet garden'");
  BOOST_REQUIRE_MESSAGE(o.rc == 0, o.err);
  BOOST_TEST(o.out.find("id 1 dissonance") != std::string::npos);
  BOOST_TEST(o.out.find("cloud 1") != std::string::npos);
  BOOST_TEST(std::count(o.out.begin(), o.out.end(), '\n') == 16); // 14 lines + 2
}

BOOST_AUTO_TEST_SUITE_END()

// `sonnet info`: which model a command would use, and what it is.
BOOST_FIXTURE_TEST_SUITE(cli_info, cli)

BOOST_AUTO_TEST_CASE(info_describes_the_default_model) {
  auto o = sonnet("info --json");
  BOOST_REQUIRE_MESSAGE(o.rc == 0, o.err);
  auto j = nlohmann::json::parse(o.out);
  BOOST_TEST(j["path"] == fs::absolute(default_model).lexically_normal().string());
  BOOST_TEST(j["origin"] == "the default model");
  BOOST_TEST(j["file_bytes"].get<uintmax_t>() == fs::file_size(default_model));
  auto sha = sonnet::sha256_file_hex(default_model);
  BOOST_REQUIRE(sha.ok());
  BOOST_TEST(j["sha256"] == *sha);
  for (auto key : {"vocab_size", "n_layer", "n_head", "n_embd", "head_size", "block_size", "n_ffwd",
                   "parameters"})
    BOOST_TEST(j[key].get<int64_t>() > 0, key);
  BOOST_TEST(j["n_head"].get<int>() * j["head_size"].get<int>() == j["n_embd"].get<int>());
  BOOST_TEST(j["attn_scale"].get<double>() > 0);
  BOOST_TEST(!j["attn_scale_source"].get<std::string>().empty());
  BOOST_TEST(!j["vocab_source"].get<std::string>().empty());
  BOOST_TEST(j["variant"] == "as_trained");
  BOOST_TEST(j["window"] == "strided");
  // The text form says the same.
  auto t = sonnet("info");
  BOOST_REQUIRE_MESSAGE(t.rc == 0, t.err);
  BOOST_TEST(t.out.find(j["path"].get<std::string>()) != std::string::npos, t.out);
  BOOST_TEST(t.out.find("sha256 " + *sha) != std::string::npos, t.out);
  BOOST_TEST(t.out.find("the default model") != std::string::npos, t.out);
  // Where the path came from: the flag, the environment.
  auto flag = nlohmann::json::parse(sonnet("info --json --model " + quote(default_model)).out);
  BOOST_TEST(flag["origin"] == "--model");
  auto env = run("SONNET_MODEL=" + quote(default_model) + " " + quote(SONNET_CLI) + " info --json");
  BOOST_REQUIRE_MESSAGE(env.rc == 0, env.err);
  BOOST_TEST(nlohmann::json::parse(env.out)["origin"] == "SONNET_MODEL");
  BOOST_TEST(sonnet("info --help").out.find("--json") != std::string::npos);
}

// A tiny checkpoint written here: exact sizes, parameter count, and an attn_scale array that
// wins over --variant.
BOOST_AUTO_TEST_CASE(info_reports_sizes_parameters_and_the_checkpoints_attn_scale) {
  namespace st = sonnet::test;
  auto arrays = st::tiny_arrays();
  int64_t params = 0;
  for (const auto& [name, a] : arrays)
    if (name.find("tril") == std::string::npos)
      params += static_cast<int64_t>(a.values.size());
  auto plain = file("tiny.npz");
  st::write_file(plain, st::tiny_npz(arrays));
  arrays["attn_scale"] = st::array_spec{{1}, {0.25f}};
  auto scaled = file("tiny_scaled.npz");
  st::write_file(scaled, st::tiny_npz(arrays));

  auto j = nlohmann::json::parse(sonnet("info --json --variant numpy_port --model tiny.npz").out);
  BOOST_TEST(j["path"] == plain);
  BOOST_TEST(j["vocab_size"] == 10);
  BOOST_TEST(j["n_layer"] == 1);
  BOOST_TEST(j["n_head"] == 2);
  BOOST_TEST(j["n_embd"] == 8);
  BOOST_TEST(j["head_size"] == 4);
  BOOST_TEST(j["block_size"] == 16);
  BOOST_TEST(j["n_ffwd"] == 32);
  BOOST_TEST(j["parameters"].get<int64_t>() == params);
  BOOST_TEST(j["attn_scale"].get<double>() == 0.5); // numpy_port: 1/sqrt(head_size)
  BOOST_TEST(j["attn_scale_from_checkpoint"] == false);
  BOOST_TEST(j["variant"] == "numpy_port");
  BOOST_TEST(j["vocab_source"] == "array 'vocab' in tiny.npz");
  BOOST_TEST(j["sha256"] == *sonnet::sha256_file_hex(plain));

  for (auto variant : {"as_trained", "numpy_port"}) {
    auto k = nlohmann::json::parse(
      sonnet(std::string("info --json --variant ") + variant + " --model " + quote(scaled)).out);
    BOOST_TEST(k["attn_scale"].get<double>() == 0.25, variant);
    BOOST_TEST(k["attn_scale_from_checkpoint"] == true);
    BOOST_TEST(k["attn_scale_source"] == "array 'attn_scale' in " + scaled);
  }
  auto t = sonnet("info --window exact --model " + quote(scaled));
  BOOST_TEST(t.out.find("attn_scale   0.25 (array 'attn_scale' in " + scaled + ")")
               != std::string::npos,
             t.out);
  BOOST_TEST(t.out.find("window exact") != std::string::npos, t.out);
}

BOOST_AUTO_TEST_CASE(info_on_a_bad_model_names_it) {
  std::ofstream(file("broken.npz")) << "not a zip";
  auto o = sonnet("info --model broken.npz");
  BOOST_TEST(o.rc == 1);
  BOOST_TEST(o.err.find("bad_checkpoint") != std::string::npos, o.err);
  BOOST_TEST(o.err.find("broken.npz") != std::string::npos, o.err);
  BOOST_TEST(o.err.find("pass --model PATH") != std::string::npos, o.err);
  BOOST_TEST(sonnet("info --colour red").rc == 2);
}

BOOST_AUTO_TEST_SUITE_END()

// Every bad input is refused with a clear error and leaves the database byte-identical.
BOOST_FIXTURE_TEST_SUITE(cli_bad_input, cli)

BOOST_AUTO_TEST_CASE(bad_generation_parameters_write_nothing,
                     *utf::precondition(have_prototype_cloud{})) {
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
    auto o =
      run("bash -c " + quote(quote(SONNET_CLI) + " generate --db " + quote(db) + " " + b.args));
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
                     *utf::precondition(have_prototype_cloud{})) {
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

// `sonnet train` and `sonnet eval` (train/): flags, bad corpora, a real tiny run, interruption.
BOOST_FIXTURE_TEST_SUITE(cli_train, cli)

BOOST_AUTO_TEST_CASE(train_and_eval_help_and_usage_errors) {
  for (auto cmd : {"train --help", "eval --help"}) {
    auto h = sonnet(cmd);
    BOOST_TEST(h.rc == 0, cmd);
    BOOST_TEST(h.out.find("--corpus FILE") != std::string::npos, cmd);
  }
  BOOST_TEST(sonnet("--help").out.find("train") != std::string::npos);
  std::ofstream(file("verse.txt")) << training_verse();
  auto no_corpus = sonnet("train --out m.npz");
  BOOST_TEST(no_corpus.rc == 2);
  BOOST_TEST(no_corpus.err.find("--corpus is required") != std::string::npos, no_corpus.err);
  auto no_out = sonnet("train --corpus verse.txt");
  BOOST_TEST(no_out.rc == 2);
  BOOST_TEST(no_out.err.find("--out is required") != std::string::npos, no_out.err);
  BOOST_TEST(sonnet("train --corpus verse.txt --out m.npz --colour red").rc == 2);
  BOOST_TEST(sonnet("train --corpus verse.txt --out m.npz --steps many").rc == 2);
  BOOST_TEST(sonnet("train --corpus verse.txt --out m.npz stray").rc == 2);
  BOOST_TEST(sonnet("eval --model m.npz").rc == 2);
  BOOST_TEST(!fs::exists(file("m.npz")));
}

BOOST_AUTO_TEST_CASE(bad_corpora_sizes_and_checkpoints_exit_1) {
  std::ofstream(file("verse.txt")) << training_verse();
  std::ofstream(file("empty.txt")) << "";
  std::ofstream(file("ten.txt")) << "0123456789";
  std::ofstream(file("not.npz")) << "this is not a zip archive\n";
  fs::create_directories(file("folder"));
  struct bad {
    std::string args;
    std::string says;
  };
  for (auto& b : std::vector<bad>{{"--corpus empty.txt", "bad_corpus"},
                                  {"--corpus folder", "bad_corpus"},
                                  {"--corpus absent.txt", "bad_corpus"},
                                  {"--corpus ten.txt", "bad_corpus"},
                                  {"--corpus verse.txt --corpus absent.txt", "bad_corpus"},
                                  {"--corpus verse.txt --heads 3 --embd 128", "invalid_argument"},
                                  {"--corpus verse.txt --init not.npz", "bad_checkpoint"},
                                  {"--corpus verse.txt --resume", "bad_checkpoint"}}) {
    auto o = sonnet("train " + b.args + " --out m.npz --steps 5");
    BOOST_TEST(o.rc == 1, b.args << " -> " << o.err);
    BOOST_TEST(o.err.find("sonnet train: " + b.says + ": ") == 0, b.args << " -> " << o.err);
  }
  BOOST_TEST(!fs::exists(file("m.npz")));
  BOOST_TEST(!fs::exists(file("m.npz.state")));
  auto e = sonnet("eval --model not.npz --corpus verse.txt");
  BOOST_TEST(e.rc == 1);
  BOOST_TEST(e.err.find("bad_checkpoint") != std::string::npos, e.err);
}

BOOST_AUTO_TEST_CASE(a_tiny_run_trains_and_eval_scores_the_same_split) {
  std::ofstream(file("verse.txt")) << training_verse();
  const std::string size = "--layers 1 --heads 2 --embd 16 --block 16 --batch 4 --threads 2";
  auto t = sonnet("train --corpus verse.txt --out m.npz " + size
                  + " --steps 30 --eval-interval 10 --json");
  BOOST_REQUIRE_MESSAGE(t.rc == 0, t.err);
  auto j = nlohmann::json::parse(t.out); // exactly one JSON object on stdout
  for (auto key : {"train_loss", "val_loss", "steps", "tokens_per_s", "seconds", "out",
                   "interrupted", "parameters", "layers", "heads", "embd", "block", "vocab_size",
                   "attn_scale", "threads", "unknown_chars"})
    BOOST_TEST(j.contains(key), key);
  BOOST_REQUIRE(j["val_loss"].is_number() && j["train_loss"].is_number());
  const double val = j["val_loss"].get<double>();
  BOOST_TEST(std::isfinite(val));
  BOOST_TEST(std::isfinite(j["train_loss"].get<double>()));
  BOOST_TEST(val < std::log(j["vocab_size"].get<double>()) + 0.5); // not worse than a guess
  BOOST_TEST(j["steps"] == 30);
  BOOST_TEST(j["interrupted"] == false);
  BOOST_TEST(j["layers"] == 1);
  BOOST_TEST(j["embd"] == 16);
  BOOST_TEST(j["unknown_chars"] == 0);
  BOOST_TEST(fs::exists(file("m.npz")));
  BOOST_TEST(fs::exists(file("m.npz.state")));
  // Progress on stderr: full lines (not a terminal), the evaluations with a held-out loss.
  BOOST_TEST(t.err.find("step 10/30  train ") != std::string::npos, t.err);
  BOOST_TEST(t.err.find("  val ") != std::string::npos, t.err);
  BOOST_TEST(t.err.find('\r') == std::string::npos);

  auto e = sonnet("eval --model m.npz --corpus verse.txt --threads 2 --json");
  BOOST_REQUIRE_MESSAGE(e.rc == 0, e.err);
  auto ej = nlohmann::json::parse(e.out);
  BOOST_TEST(std::abs(ej["loss"].get<double>() - val) < 1e-6, ej["loss"] << " vs " << val);
  BOOST_TEST(ej["chars"].get<int64_t>() > 0);
  BOOST_TEST(ej["model"] == "m.npz");
  BOOST_TEST(ej["val_fraction"] == 0.1);
  BOOST_TEST(ej["corpora"].size() == 1u);
  auto human = sonnet("eval --model m.npz --corpus verse.txt");
  BOOST_TEST(human.rc == 0);
  BOOST_TEST(human.out.rfind("loss ", 0) == 0, human.out);
  BOOST_TEST(human.out.find("nats/char over ") != std::string::npos, human.out);

  // The model it wrote is one `sonnet generate --raw` reads (vocabulary included).
  auto g = sonnet("generate --raw --tokens 20 --model m.npz");
  BOOST_TEST(g.rc == 0, g.err);

  // --corpus twice: both files are read (the vocabulary is their union).
  std::ofstream(file("extra.txt")) << "ZZZZ!!!!\n";
  auto two = sonnet("train --corpus verse.txt --corpus extra.txt --out two.npz " + size
                    + " --steps 2 --json");
  BOOST_REQUIRE_MESSAGE(two.rc == 0, two.err);
  BOOST_TEST(nlohmann::json::parse(two.out)["vocab_size"] == j["vocab_size"].get<int>() + 2);
  auto human_train = sonnet("train --corpus verse.txt --out h.npz " + size + " --steps 3");
  BOOST_TEST(human_train.rc == 0, human_train.err);
  BOOST_TEST(human_train.out.find("trained 3 steps") != std::string::npos, human_train.out);
  BOOST_TEST(human_train.out.find("wrote h.npz") != std::string::npos, human_train.out);
}

BOOST_AUTO_TEST_CASE(sigterm_leaves_a_resumable_checkpoint) {
  std::ofstream(file("verse.txt")) << training_verse();
  const auto out = file("long.npz");
  sonnet::test::process p({SONNET_CLI,  "train", "--corpus", file("verse.txt"),
                           "--out",     out,     "--layers", "1",
                           "--heads",   "2",     "--embd",   "16",
                           "--block",   "16",    "--batch",  "4",
                           "--threads", "1",     "--steps",  "100000"},
                          file("long.log"));
  BOOST_REQUIRE_MESSAGE(p.wait_for("step [0-9]+/100000", std::chrono::seconds(60)), p.output());
  p.signal(SIGTERM);
  auto rc = p.wait(std::chrono::seconds(60));
  BOOST_REQUIRE_MESSAGE(rc.has_value(), "still running after SIGTERM");
  BOOST_TEST(*rc == 0, p.output());
  auto log = p.output();
  BOOST_TEST(log.find("resume with: sonnet train") != std::string::npos, log);
  BOOST_TEST(log.find("--resume") != std::string::npos, log);
  BOOST_TEST(log.find(out + ".state") != std::string::npos, log);
  BOOST_TEST(fs::exists(out));
  BOOST_TEST(fs::exists(out + ".state"));
  BOOST_TEST(!fs::exists(out + ".tmp"));
  std::smatch m;
  std::regex stopped("stopped at step ([0-9]+) of 100000");
  BOOST_REQUIRE_MESSAGE(std::regex_search(log, m, stopped), log);
  const int64_t at = std::stoll(m[1].str());
  BOOST_TEST(at < 100000);

  const auto target = std::to_string(at + 20);
  auto r = sonnet("train --corpus verse.txt --out long.npz --resume --steps " + target + " --json");
  BOOST_REQUIRE_MESSAGE(r.rc == 0, r.err);
  auto j = nlohmann::json::parse(r.out);
  BOOST_TEST(j["steps"] == at + 20);
  BOOST_TEST(j["interrupted"] == false);
  BOOST_TEST(std::isfinite(j["val_loss"].get<double>()));
  // Past the target now: resuming to it again is refused.
  auto again = sonnet("train --corpus verse.txt --out long.npz --resume --steps " + target);
  BOOST_TEST(again.rc == 1);
  BOOST_TEST(again.err.find("invalid_argument") != std::string::npos, again.err);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(cli_fronts_and_load, cli)

BOOST_AUTO_TEST_CASE(bad_front_lists_and_load_options_are_refused) {
  auto empty = sonnet("--connect=127.0.0.1:1,,127.0.0.1:2 stats");
  BOOST_TEST(empty.rc == 1);
  BOOST_TEST(empty.err.find("--connect expects HOST:PORT[,HOST:PORT...]") != std::string::npos,
             empty.err);
  auto port = sonnet("--connect=127.0.0.1:notaport stats");
  BOOST_TEST(port.rc == 1);
  BOOST_TEST(port.err.find("127.0.0.1:notaport: bad port") != std::string::npos, port.err);
  BOOST_TEST(sonnet("--connect").rc == 2);
  BOOST_TEST(sonnet("load --count 0").rc == 2);
  BOOST_TEST(sonnet("load --count 3 --duration 1").rc == 2);
  BOOST_TEST(sonnet("load --deadline -1").rc == 2);
  BOOST_TEST(sonnet("load --concurrency 0").rc == 2);
  auto help = sonnet("load --help");
  BOOST_TEST(help.rc == 0);
  BOOST_TEST(help.out.find("never re-sent") != std::string::npos, help.out);
  auto top = sonnet("--help");
  BOOST_TEST(top.out.find("--connect=A,B,C") != std::string::npos);
  BOOST_TEST(top.out.find("not retried") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(no_front_answering_is_exit_1_naming_each_address) {
  auto o = sonnet("--connect=127.0.0.1:1,127.0.0.1:2 load --count 1");
  BOOST_TEST(o.rc == 1);
  BOOST_TEST(o.err.find("no front answers (127.0.0.1:1: Connection refused; 127.0.0.1:2: "
                        "Connection refused)")
               != std::string::npos,
             o.err);
}

/// In-process: every request is acknowledged, one JSON line each with the stored id.
BOOST_AUTO_TEST_CASE(load_writes_a_line_per_request_and_a_summary) {
  auto o = sonnet("load --count 3 --concurrency 2 --seed 5 --db " + quote(file("c.db"))
                  + " --jsonl " + quote(file("load.jsonl")));
  BOOST_REQUIRE_MESSAGE(o.rc == 0, o.err);
  auto summary = nlohmann::json::parse(o.out);
  BOOST_TEST(summary["sent"] == 3);
  BOOST_TEST(summary["acknowledged"] == 3);
  BOOST_TEST(summary["failed_total"] == 0);
  BOOST_TEST(summary["hung"] == 0);
  BOOST_TEST(summary["max_ms"].get<double>() >= summary["p50_ms"].get<double>());
  std::istringstream in(slurp(file("load.jsonl")));
  std::set<int64_t> ids;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    BOOST_TEST(j["outcome"] == "ok");
    BOOST_TEST(j["front"] == "in-process");
    ids.insert(j["id"].get<int64_t>());
  }
  BOOST_TEST((ids == std::set<int64_t>{1, 2, 3}));
  auto stats = sonnet("stats --json --db " + quote(file("c.db")));
  BOOST_TEST(nlohmann::json::parse(stats.out)["sonnet_count"] == 3);
}

BOOST_AUTO_TEST_SUITE_END()
