// Bad model files for the binaries, and a matrix of bad inputs across the `sonnet` CLI, the
// service's actor messages and sonnetd's flags and configuration. Every case asserts the exit
// code and the error named, and that the database it was pointed at is byte-identical
// afterwards. (tests/apps/cli.cpp and tests/actors/service.cpp cover the first cases of each
// kind; these extend them.)
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <sys/stat.h>

#include "caf/all.hpp"

#include "actors/service.hpp"
#include "messages/errors.hpp"
#include "messages/type_ids.hpp"
#include "persistence/sqlite_store.hpp"
#include "tests/model/fixtures.hpp"
#include "tests/reliability/common.hpp"
#include "text/dissonance.hpp"

namespace fs = std::filesystem;
namespace utf = boost::unit_test;
using namespace sonnet;
using namespace sonnet::test;
using namespace std::chrono_literals;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string sonnet_text(int n) {
  std::string s;
  for (int i = 0; i < 14; ++i)
    s += (i ? "\n" : "") + std::string("Upon the silver sea of number ") + std::to_string(n)
         + " the morning line " + std::to_string(i) + " doth shine";
  return s;
}

/// Ends a process and reports how: exit code, or 128 + signal.
struct ran {
  int rc = -1;
  std::string output;
};

struct bad_input_fixture : workspace {
  /// A small cloud written through the store (three sonnets, replay-clean), and a tiny valid
  /// model, so no case depends on ../shared.
  std::string db = file("cloud.db");
  std::string tiny = file("tiny.npz");

  bad_input_fixture() {
    auto s = persistence::open_sqlite(db);
    BOOST_REQUIRE(s.ok());
    for (int i = 1; i <= 3; ++i) {
      auto text = sonnet_text(i);
      auto j = text::compute_dissonance("the sea", text, (*s)->vocabulary());
      persistence::sonnet_input in;
      in.text = text;
      in.dissonance = j.dissonance;
      in.user_input = "the sea";
      in.seed = static_cast<uint64_t>(i);
      BOOST_REQUIRE((*s)->add(in).ok());
    }
    s->reset(); // closes the file (WAL checkpointed)
    write_file(tiny, tiny_npz(tiny_arrays()));
  }

  /// Runs argv with `stdin_file` (or /dev/null) on stdin; the output is stdout + stderr.
  ran run(std::vector<std::string> argv, const std::string& stdin_file = "",
          std::chrono::seconds timeout = 30s) {
    if (!stdin_file.empty()) {
      std::string cmd;
      for (auto& a : argv) {
        std::string q = "'";
        for (char c : a)
          q += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
        cmd += q + "' ";
      }
      argv = {"/bin/sh", "-c", cmd + "< '" + stdin_file + "'"};
    }
    auto& p = start(std::move(argv));
    auto rc = p.wait(timeout);
    return {code(rc), p.output()};
  }

  ran sonnet(std::vector<std::string> args, const std::string& stdin_file = "") {
    args.insert(args.begin(), SONNET_CLI);
    return run(std::move(args), stdin_file);
  }

  ran sonnetd(std::vector<std::string> args) {
    args.insert(args.begin(), SONNETD);
    return run(std::move(args));
  }
};

struct bad_case {
  std::vector<std::string> args;
  int rc;
  std::string says; ///< the errc name or the message the output must contain
  std::string stdin_file = "";
};

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (auto& a : v)
    s += a + " ";
  return s;
}

} // namespace

// --- bad model files: sonnetd and `sonnet generate` exit 1, naming the file and the problem --

BOOST_FIXTURE_TEST_SUITE(bad_model_files, bad_input_fixture)

BOOST_AUTO_TEST_CASE(binaries_name_the_file_and_the_problem_and_exit_1) {
  struct bad_model {
    std::string path;
    std::string says;   ///< errc name
    std::string detail; ///< part of the message saying what is wrong
  };
  std::vector<bad_model> models;
  auto make = [&](const std::string& name, const bytes& b, std::string says, std::string detail) {
    auto p = file(name);
    write_file(p, b);
    models.push_back({p, std::move(says), std::move(detail)});
  };
  auto good = tiny_npz(tiny_arrays());
  make("truncated_tiny.npz", bytes(good.begin(), good.begin() + good.size() / 2), "bad_checkpoint",
       "");
  {
    auto real = slurp(default_model); // a full-size checkpoint, cut short
    BOOST_REQUIRE_MESSAGE(!real.empty(), default_model << " is missing or empty");
    for (double share : {0.999, 0.5, 0.01})
      make("truncated_real_" + std::to_string(static_cast<int>(share * 1000)) + ".npz",
           bytes(real.begin(), real.begin() + static_cast<std::ptrdiff_t>(real.size() * share)),
           "bad_checkpoint", "");
  }
  {
    std::string text = "this is a text file, not an archive\n";
    make("text.npz", bytes(text.begin(), text.end()), "bad_checkpoint", "");
  }
  // Not regular files: refused at once, without a read (a FIFO would block, /dev/zero not end).
  models.push_back({"/dev/null", "bad_checkpoint", "not a regular file"});
  models.push_back({"/dev/zero", "bad_checkpoint", "not a regular file"});
  BOOST_REQUIRE(::mkfifo(file("model.fifo").c_str(), 0600) == 0);
  models.push_back({file("model.fifo"), "bad_checkpoint", "FIFO"});
  make("empty.npz", {}, "bad_checkpoint", "empty");
  {
    zip_writer z;
    z.add("weights.npy", npy_f4({2}, {1, 2}), true);
    make("foreign_arrays.npz", z.finish(), "bad_checkpoint", "embedding_table");
  }
  {
    zip_writer z;
    make("empty_zip.npz", z.finish(), "bad_checkpoint", "");
  }
  {
    auto a = tiny_arrays();
    a["lm_head.weight"].shape = {a["lm_head.weight"].shape[1], a["lm_head.weight"].shape[0]};
    a["blocks.0.ln1.weight"].shape = {3};
    a["blocks.0.ln1.weight"].values.resize(3);
    make("wrong_shapes.npz", tiny_npz(a), "bad_checkpoint", "shape");
  }
  {
    auto a = tiny_arrays();
    a["blocks.0.ffwd.net.0.weight"].values[5] = std::numeric_limits<float>::quiet_NaN();
    make("nan_weights.npz", tiny_npz(a), "bad_weights", "ffwd.net.0.weight");
  }
  {
    auto a = tiny_arrays();
    a["lm_head.bias"].values[0] = std::numeric_limits<float>::infinity();
    make("inf_weights.npz", tiny_npz(a), "bad_weights", "lm_head.bias");
  }
  {
    npz_options o;
    o.vocab = "\n abc"; // 5 characters for an embedding of 10 rows
    make("short_vocab.npz", tiny_npz(tiny_arrays(), o), "bad_vocabulary", "");
  }
  {
    auto b = good;
    b[b.size() / 3] ^= 0xFF; // a flipped byte inside a deflated member: CRC or inflate fails
    make("corrupt.npz", b, "bad_checkpoint", "");
  }
  fs::create_directories(file("a_directory.npz"));
  models.push_back({file("a_directory.npz"), "bad_checkpoint", "is a directory"});
  {
    // ~200 bytes declaring a 1 GiB array: refused from the sizes, naming the array.
    zip_writer z;
    z.add("embedding_table.weight.npy", npy_image("<f4", {268435456}, bytes(16, 0)), false);
    make("huge_declared.npz", z.finish(), "bad_checkpoint", "array 'embedding_table.weight'");
  }

  BOOST_TEST(models.size() >= 10u);
  for (auto& m : models) {
    BOOST_TEST_CONTEXT(m.path) {
      auto g = sonnet({"generate", "--db", file("g.db"), "--model", m.path, "--seed", "1"});
      BOOST_TEST(g.rc == 1, g.output);
      BOOST_TEST(g.output.find(m.path) != std::string::npos, g.output);
      BOOST_TEST(g.output.find(m.says) != std::string::npos, g.output);
      BOOST_TEST(g.output.find(m.detail) != std::string::npos, g.output);
      BOOST_TEST(!fs::exists(file("g.db")));
      auto r = sonnet({"generate", "--raw", "--tokens", "5", "--model", m.path});
      BOOST_TEST(r.rc == 1, r.output);
      BOOST_TEST(r.output.find(m.says) != std::string::npos, r.output);
      auto d = sonnetd({"--port=0", "--db=" + file("d.db"), "--model=" + m.path});
      BOOST_TEST(d.rc == 1, d.output);
      BOOST_TEST(d.output.find(m.path) != std::string::npos, d.output);
      BOOST_TEST(d.output.find(m.says) != std::string::npos, d.output);
      BOOST_TEST(d.output.find(m.detail) != std::string::npos, d.output);
      auto w = sonnetd({"--role=worker", "--port=0", "--model=" + m.path});
      BOOST_TEST(w.rc == 1, w.output);
      BOOST_TEST(w.output.find(m.says) != std::string::npos, w.output);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

// --- the CLI -------------------------------------------------------------------------------

BOOST_FIXTURE_TEST_SUITE(bad_input_matrix, bad_input_fixture)

BOOST_AUTO_TEST_CASE(cli_refuses_and_leaves_the_cloud_alone) {
  auto before = slurp(db);
  {
    std::ofstream(file("bad_utf8.txt"), std::ios::binary) << "shall I compare thee caf\xc3";
    std::ofstream(file("overlong.txt"), std::ios::binary) << "\xc0\xaf the sea";
    std::ofstream(file("limit.txt"), std::ios::binary) << std::string(2001, 'a');
    std::ofstream(file("bad.conf")) << "model = \n[[[ broken";
    std::ofstream(file("typo.conf")) << "db = \"" << db << "\"\nmodel = \"unterminated\n";
    std::ofstream(file("unknown.conf")) << "db = \"" << db << "\"\nmodle = \"x.npz\"\n";
    std::ofstream(file("section.conf")) << "[cli]\nmodel = \"x.npz\"\n";
    std::ofstream(file("number.conf")) << "db = 42\n";
    std::ofstream(file("badsec.conf")) << "model = \"m.npz\"\n[[[ broken";
    std::ofstream(file("good.conf")) << "; the CLI's keys\ndb = \"" << db << "\" ; comment\n";
    fs::create_directories(file("prompt_dir"));
    BOOST_REQUIRE(::mkfifo(file("prompt.fifo").c_str(), 0600) == 0);
  }
  const std::string t = tiny;
  std::vector<bad_case> cases{
    // queries
    {{"recent", "--limit", "-1", "--db", db}, 1, "--limit must be >= 1"},
    {{"recent", "--limit", "0", "--db", db}, 1, "--limit must be >= 1"},
    {{"recent", "--limit", "99999999999999999999", "--db", db}, 2, "expects an integer"},
    {{"best", "--limit", "abc", "--db", db}, 2, "expects an integer"},
    {{"best", "--min-quality", "nan", "--db", db}, 1, "--min-quality must be a finite number"},
    {{"best", "--min-quality", "-inf", "--db", db}, 1, "--min-quality must be a finite number"},
    {{"get", "--id", "0", "--db", db}, 1, "no_such_sonnet"},
    {{"get", "--id", "-3", "--db", db}, 1, "no_such_sonnet"},
    {{"get", "--id", "9223372036854775807", "--db", db}, 1, "no_such_sonnet"},
    {{"get", "--db", db}, 2, "--id is required"},
    // generation parameters (refused before anything is written)
    {{"generate", "--candidates", "99", "--db", db, "--model", t},
     1,
     "--candidates must be in [1, 16]"},
    {{"generate", "--candidates", "0", "--db", db, "--model", t},
     1,
     "--candidates must be in [1, 16]"},
    {{"generate", "--top-k", "-7", "--db", db, "--model", t}, 1, "invalid_argument"},
    {{"generate", "--top-k", "4294967295", "--db", db, "--model", t}, 1, "invalid_argument"},
    {{"generate", "--temperature", "5.01", "--db", db, "--model", t}, 1, "invalid_argument"},
    {{"generate", "--tokens", "20001", "--db", db, "--model", t},
     1,
     "--tokens must be in [1, 20000]"},
    {{"generate", "--count", "99999999999", "--db", db, "--model", t}, 1, "--count must be in"},
    {{"generate", "--concurrency", "100000", "--db", db, "--model", t},
     1,
     "--concurrency must be in"},
    {{"generate", "--seed", "abc", "--db", db, "--model", t}, 2, "non-negative integer"},
    {{"generate", "--seed", "-1", "--db", db, "--model", t}, 2, "option '--seed' expects"},
    {{"generate", "--seed", " -1", "--db", db, "--model", t}, 2, "option '--seed' expects"},
    {{"generate", "--seed", "+1", "--db", db, "--model", t}, 2, "option '--seed' expects"},
    {{"generate", "--seed", "18446744073709551616", "--db", db, "--model", t},
     2,
     "option '--seed' expects a non-negative integer in [0, 18446744073709551615]"},
    {{"generate", "--seed", "18446744073709551615", "--count", "2", "--db", db, "--model", t},
     2,
     "--seed 18446744073709551615 with --count 2"},
    {{"generate", "--raw", "--seed", "-5", "--model", t}, 2, "option '--seed' expects"},
    {{"generate", "--prompt-file", file("prompt_dir"), "--db", db, "--model", t},
     1,
     "is a directory"},
    {{"generate", "--prompt-file", file("prompt.fifo"), "--db", db, "--model", t}, 1, "FIFO"},
    {{"generate", "--prompt-file", "/dev/zero", "--db", db, "--model", t}, 1, "character device"},
    {{"generate", "--max-sequences", "0", "--db", db, "--model", t},
     2,
     "--max-sequences must be in"},
    {{"generate", "--prompt-file", file("bad_utf8.txt"), "--db", db, "--model", t},
     1,
     "bad_encoding"},
    {{"generate", "--prompt-file", file("overlong.txt"), "--db", db, "--model", t},
     1,
     "bad_encoding"},
    {{"generate", "--prompt-file", file("limit.txt"), "--db", db, "--model", t},
     1,
     "prompt_too_long"},
    {{"generate", "--prompt-file", file("absent.txt"), "--db", db, "--model", t}, 1, "absent.txt"},
    {{"generate", "--raw", "--window", "bogus", "--model", t}, 2, "--window must be"},
    // configuration and connection
    {{"stats", "--config", file("bad.conf"), "--db", db},
     2,
     "bad.conf:1: key 'model' expects a quoted string"},
    {{"stats", "--config", file("badsec.conf"), "--db", db}, 2, "badsec.conf:2: bad section"},
    {{"stats", "--config", file("absent.conf"), "--db", db}, 2, "cannot read config file"},
    {{"stats", "--config", file("prompt.fifo"), "--db", db}, 2, "FIFO"},
    {{"generate", "--config", file("typo.conf"), "--model", t}, 2, "unterminated string"},
    {{"stats", "--config", file("unknown.conf")}, 2, "unknown key 'modle'"},
    {{"stats", "--config", file("section.conf")}, 2, "unknown key 'cli.model'"},
    {{"stats", "--config", file("number.conf")}, 2, "key 'db' expects a quoted string"},
    {{"stats", "--config", file("good.conf")}, 0, "sonnets"},
    {{"--connect=garbage", "stats"}, 1, "invalid_argument"},
    {{"--connect=127.0.0.1:1", "stats"}, 1, "no_worker"},
    {{"vocab", "--corpus", file("absent.txt"), "--out", file("v.vocab")}, 1, "bad_vocabulary"},
  };
  for (auto& c : cases) {
    BOOST_TEST_CONTEXT(joined(c.args)) {
      auto o = sonnet(c.args, c.stdin_file);
      BOOST_TEST(o.rc == c.rc, o.output);
      BOOST_TEST(o.output.find(c.says) != std::string::npos, o.output);
    }
  }
  BOOST_TEST(slurp(db) == before);
  BOOST_TEST(!fs::exists(file("v.vocab")));
  BOOST_TEST_MESSAGE(cases.size() << " CLI cases");
}

// `sonnet train` / `sonnet eval`: every flag out of its range is refused before any training,
// and nothing is written at --out.
BOOST_AUTO_TEST_CASE(train_and_eval_refuse_bad_flags_and_write_nothing) {
  const std::string verse = file("verse.txt"), out = file("m.npz");
  {
    std::ofstream v(verse);
    for (int i = 0; i < 60; ++i)
      v << "shall i compare thee to a summer's day, line " << i << "\n";
    std::ofstream(file("empty.txt")) << "";
    std::ofstream(file("ten.txt")) << "0123456789";
    fs::create_directories(file("folder"));
    BOOST_REQUIRE(::mkfifo(file("train.fifo").c_str(), 0600) == 0);
  }
  auto train = [&](std::vector<std::string> more) {
    std::vector<std::string> a{"train", "--corpus", verse, "--out", out, "--steps", "3"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  auto eval = [&](std::vector<std::string> more) {
    std::vector<std::string> a{"eval", "--model", tiny, "--corpus", verse};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  std::vector<bad_case> cases{
    // usage errors
    {{"train", "--out", out}, 2, "--corpus is required"},
    {{"train", "--corpus", verse}, 2, "--out is required"},
    {{"train", "--corpus"}, 2, "needs a value"},
    {train({"--layers", "four"}), 2, "expects an integer"},
    {train({"--lr", "fast"}), 2, "expects a number"},
    {train({"--seed", "-1"}), 2, "non-negative integer"},
    {train({"--resume=yes"}), 2, "takes no value"},
    {train({"--model", tiny}), 2, "unknown option '--model'"},
    {{"eval", "--model", tiny}, 2, "--corpus is required"},
    {eval({"--steps", "3"}), 2, "unknown option '--steps'"},
    // sizes
    {train({"--layers", "0"}), 1, "--layers must be in [1, 64]"},
    {train({"--layers", "65"}), 1, "--layers must be in [1, 64]"},
    {train({"--heads", "0"}), 1, "--heads must be in"},
    {train({"--heads", "3", "--embd", "128"}), 1,
     "invalid_argument: --heads (3) must divide --embd (128)"},
    {train({"--heads", "5"}), 1, "must divide --embd"},
    {train({"--embd", "0"}), 1, "--embd must be in [1, 4096]"},
    {train({"--embd", "4097"}), 1, "--embd must be in [1, 4096]"},
    {train({"--block", "1"}), 1, "--block must be in [2, 4096]"},
    {train({"--block", "4097"}), 1, "--block must be in [2, 4096]"},
    // the recipe
    {train({"--steps", "0"}), 1, "--steps must be in"},
    {train({"--steps", "99999999999"}), 1, "--steps must be in"},
    {train({"--batch", "0"}), 1, "--batch must be in"},
    {train({"--lr", "0"}), 1, "--lr must be a finite number > 0"},
    {train({"--lr", "-0.001"}), 1, "--lr must be a finite number > 0"},
    {train({"--lr", "nan"}), 1, "--lr must be a finite number > 0"},
    {train({"--lr", "inf"}), 1, "--lr must be a finite number > 0"},
    {train({"--dropout", "1"}), 1, "--dropout must be in [0, 1)"},
    {train({"--dropout", "-0.1"}), 1, "--dropout must be in [0, 1)"},
    {train({"--dropout", "nan"}), 1, "--dropout must be in [0, 1)"},
    {train({"--threads", "-1"}), 1, "--threads must be in [0, 256]"},
    {train({"--threads", "257"}), 1, "--threads must be in [0, 256]"},
    {train({"--val-fraction", "0"}), 1, "--val-fraction must be in (0, 0.5]"},
    {train({"--val-fraction", "0.6"}), 1, "--val-fraction must be in (0, 0.5]"},
    {train({"--val-fraction", "nan"}), 1, "--val-fraction must be in (0, 0.5]"},
    {train({"--eval-interval", "-1"}), 1, "--eval-interval must be in"},
    // files
    {{"train", "--corpus", file("empty.txt"), "--out", out}, 1, "bad_corpus"},
    {{"train", "--corpus", file("folder"), "--out", out}, 1, "bad_corpus"},
    {{"train", "--corpus", "/dev/zero", "--out", out}, 1, "bad_corpus"},
    {{"train", "--corpus", file("train.fifo"), "--out", out}, 1, "bad_corpus"},
    {{"eval", "--model", tiny, "--corpus", file("train.fifo")}, 1, "FIFO"},
    {train({"--init", file("train.fifo")}), 1, "bad_checkpoint"},
    {{"eval", "--model", file("train.fifo"), "--corpus", verse}, 1, "FIFO"},
    {{"train", "--corpus", file("absent.txt"), "--out", out}, 1, "bad_corpus"},
    {{"train", "--corpus", file("ten.txt"), "--out", out}, 1, "corpus too small"},
    {{"train", "--corpus", verse, "--out", verse}, 1, "it would be overwritten"},
    {{"train", "--corpus", verse, "--out", file("folder")}, 1, "is a directory"},
    {{"train", "--corpus", verse, "--out", file("nowhere/m.npz")}, 1, "does not exist"},
    {{"train", "--corpus", verse, "--out", ""}, 1, "--out must not be empty"},
    {train({"--init", db}), 1, "bad_checkpoint"},
    {train({"--init", file("absent.npz")}), 1, "bad_checkpoint"},
    {train({"--init", tiny, "--layers", "2"}), 1, "the size flags ask for"},
    {train({"--resume"}), 1, "bad_checkpoint"},
    {train({"--resume", "--init", tiny}), 1, "takes no --init"},
    // eval
    {eval({"--val-fraction", "0"}), 1, "--val-fraction must be in (0, 1)"},
    {eval({"--val-fraction", "1"}), 1, "--val-fraction must be in (0, 1)"},
    {eval({"--threads", "1000"}), 1, "--threads must be in [0, 256]"},
    {{"eval", "--model", db, "--corpus", verse}, 1, "bad_checkpoint"},
    {{"eval", "--model", tiny, "--corpus", file("ten.txt")}, 1, "bad_corpus"},
    {{"eval", "--model", tiny, "--corpus", file("folder")}, 1, "bad_corpus"},
  };
  for (auto& c : cases) {
    BOOST_TEST_CONTEXT(joined(c.args)) {
      auto o = sonnet(c.args, c.stdin_file);
      BOOST_TEST(o.rc == c.rc, o.output);
      BOOST_TEST(o.output.find(c.says) != std::string::npos, o.output);
    }
  }
  for (auto f : {out, out + ".state", out + ".tmp", file("nowhere")})
    BOOST_TEST(!fs::exists(f), f);
  BOOST_TEST(fs::file_size(verse) > 2000u); // not overwritten
  // The tiny model's vocabulary lacks most of the verse: scored, and the rest counted.
  auto ok = sonnet(eval({"--json"}));
  BOOST_TEST(ok.rc == 0, ok.output);
  BOOST_TEST(ok.output.find("\"unknown_chars\":0") == std::string::npos, ok.output);
  BOOST_TEST_MESSAGE(cases.size() << " train/eval cases");
}

BOOST_AUTO_TEST_CASE(damaged_and_foreign_database_files_are_refused) {
  // A directory, a file cut mid-page, a cloud with a table missing, an empty file for a query.
  fs::create_directories(file("dir.db"));
  auto whole = slurp(db);
  BOOST_REQUIRE(whole.size() > 4096 + 100);
  auto cut = file("cut.db");
  std::ofstream(cut, std::ios::binary) << whole.substr(0, 4096 + 100);
  auto missing = file("missing_table.db");
  fs::copy_file(db, missing);
  {
    sqlite3* h = nullptr;
    BOOST_REQUIRE(sqlite3_open(missing.c_str(), &h) == SQLITE_OK);
    BOOST_REQUIRE(sqlite3_exec(h, "DROP TABLE sonnet_trigrams", nullptr, nullptr, nullptr)
                  == SQLITE_OK);
    sqlite3_close(h);
  }
  auto empty = file("empty.db");
  std::ofstream(empty).flush();
  auto garbage = file("garbage.db");
  {
    std::string g = "SQLite format 3";
    g += '\0';
    g += std::string(8000, '\x5a');
    std::ofstream(garbage, std::ios::binary) << g;
  }
  struct file_case {
    std::string path;
    std::string says_query;
    std::string says_write;
  };
  std::vector<file_case> files{
    {file("dir.db"), "db_open_failed", "db_open_failed"},
    {cut, "not_a_sonnet_cloud", "not_a_sonnet_cloud"},
    {missing, "not_a_sonnet_cloud", "not_a_sonnet_cloud"},
    {garbage, "not_a_sonnet_cloud", "not_a_sonnet_cloud"},
    {empty, "not_a_sonnet_cloud", ""}, // an empty file is a new cloud for a writer
  };
  for (auto& f : files) {
    BOOST_TEST_CONTEXT(f.path) {
      auto before = fs::is_directory(f.path) ? std::string() : slurp(f.path);
      for (auto cmd : {"stats", "replay", "recent"}) {
        auto o = sonnet({cmd, "--db", f.path});
        BOOST_TEST(o.rc == 1, cmd << ": " << o.output);
        BOOST_TEST(o.output.find(f.says_query) != std::string::npos, cmd << ": " << o.output);
      }
      if (!f.says_write.empty()) {
        auto g = sonnet({"generate", "--db", f.path, "--model", tiny, "--seed", "1"});
        BOOST_TEST(g.rc == 1, g.output);
        BOOST_TEST(g.output.find(f.says_write) != std::string::npos, g.output);
        auto d = sonnetd({"--port=0", "--db=" + f.path, "--model=" + tiny});
        BOOST_TEST(d.rc == 1, d.output);
        BOOST_TEST(d.output.find(f.says_write) != std::string::npos, d.output);
      }
      if (!fs::is_directory(f.path))
        BOOST_TEST((slurp(f.path) == before), "file changed");
    }
  }
}

// --- sonnetd flags and configuration ------------------------------------------------------

BOOST_AUTO_TEST_CASE(sonnetd_refuses_bad_flags_and_configuration) {
  auto before = slurp(db);
  std::ofstream(file("bad.conf")) << "model = \n[[[ broken";
  std::ofstream(file("unterminated.conf")) << "role = \"worker\n";
  // CAF ignores unknown keys and ill-typed values in silence; sonnetd refuses them, by name.
  std::ofstream(file("unknown.conf")) << "port = 0\nbogus-key = 3\n";
  std::ofstream(file("port.conf")) << "port = \"abc\"\n";
  std::ofstream(file("http.conf")) << "http-port = 8080\n";
  std::ofstream(file("section.conf")) << "[middleman]\nheartbeat-interval = 250ms\nfoo = 1\n";
  std::ofstream(file("valid.conf"))
    << "; every kind of key: ours and CAF's own sections\nrole = \"standalone\"\nport = 0\n"
    << "drain-timeout = 8s\nhttp-port = \"off\"\nmax-sequences = 8\nmodel-actors = 1\n"
    << "[middleman]\nheartbeat-interval = 250ms\n[scheduler]\nmax-threads = 2\n"
    << "[logger]\nverbosity = 'quiet'\n";
  fs::create_directories(file("conf_dir"));
  BOOST_REQUIRE(::mkfifo(file("conf.fifo").c_str(), 0600) == 0);
  const std::string d = "--db=" + db, m = "--model=" + tiny;
  std::vector<bad_case> cases{
    {{"--role=Standalone", "--port=0", d, m}, 2, "--role must be"},
    {{"--role=", "--port=0", d, m}, 2, "bad configuration"},
    {{"--role=front", "--workers=garbage", "--port=0", d}, 1, "invalid_argument"},
    {{"--role=front", "--workers=127.0.0.1:notaport", "--port=0", d}, 1, "invalid_argument"},
    {{"--role=front", "--workers=,", "--port=0", d}, 2, "--workers"},
    {{"--port=70000", d, m}, 2, "integer_overflow"},
    {{"--port=-1", d, m}, 2, "bad configuration"},
    {{"--model-actors=0", "--port=0", d, m}, 2, "--model-actors must be in"},
    {{"--model-actors=-3", "--port=0", d, m}, 2, "--model-actors must be in"},
    {{"--drain-timeout=banana", "--port=0", d, m}, 2, "bad configuration"},
    {{"--config=" + file("bad.conf"), "--port=0", d, m}, 2, "bad configuration"},
    {{"--config=" + file("unterminated.conf"), "--port=0", d, m}, 2, "bad configuration"},
    {{"--bind=999.1.1.1", "--port=0", d, m}, 2, "not an address this host can listen on"},
    {{"--bind=999.1.1.1", "--port=0", "--db=" + file("never.db"), m}, 2, "--bind"},
    {{"--http-bind=nowhere.invalid", "--http-port=auto", "--port=0", d, m}, 2, "--http-bind"},
    {{"--config=" + file("unknown.conf"), d, m}, 2, "unknown key 'bogus-key'"},
    {{"--config=" + file("port.conf"), d, m}, 2, "key 'port' expects a uint16, got \"abc\""},
    {{"--config=" + file("http.conf"), d, m}, 2, "key 'http-port' expects a string"},
    {{"--config=" + file("section.conf"), d, m}, 2, "unknown key 'middleman.foo'"},
    {{"--config=" + file("conf.fifo"), d, m}, 2, "FIFO"},
    {{"--config=" + file("conf_dir"), d, m}, 2, "is a directory"},
    {{"--max-sequences=0", "--port=0", d, m}, 2, "--max-sequences must be in"},
    // A valid file passes its check: the next problem (the address) is the one named.
    {{"--config=" + file("valid.conf"), "--bind=999.1.1.1", d, m}, 2, "--bind"},
  };
  for (auto& c : cases) {
    BOOST_TEST_CONTEXT(joined(c.args)) {
      auto o = sonnetd(c.args);
      BOOST_TEST(o.rc == c.rc, o.output);
      BOOST_TEST(o.output.find(c.says) != std::string::npos, o.output);
    }
  }
  BOOST_TEST(slurp(db) == before);
  BOOST_TEST(!fs::exists(file("never.db"))); // refused before any database is opened
}

BOOST_AUTO_TEST_SUITE_END()

// --- actor messages, in-process ------------------------------------------------------------

namespace {

struct actor_fixture : bad_input_fixture {
  struct config : caf::actor_system_config {
    config() {
      register_types(*this);
      set("scheduler.max-threads", 2);
    }
  };
  std::unique_ptr<config> cfg = std::make_unique<config>();
  std::unique_ptr<caf::actor_system> sys = std::make_unique<caf::actor_system>(*cfg);
  std::unique_ptr<caf::scoped_actor> self = std::make_unique<caf::scoped_actor>(*sys);
  service_control_actor svc;

  actor_fixture() {
    service_config sc;
    sc.model_path = tiny;
    sc.db_path = db;
    sc.model_actors = 1;
    auto s = spawn_service(*sys, sc);
    if (!s)
      BOOST_FAIL("spawn_service: " << sys->render(s.error()));
    svc = *s;
  }
  ~actor_fixture() {
    caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
    self.reset();
    sys.reset(); // waits for every actor: the database is closed after this
  }

  /// The error a request ends with (errc::none when it succeeds).
  template <class Result, class... Ts>
  errc error_of(Ts... xs) {
    errc out = errc::none;
    (*self)
      ->request(svc, 60s, xs...)
      .receive([&](Result&) {}, [&](caf::error& e) { out = from_caf(e).code; });
    return out;
  }
  errc generate(const generate_request& r) { return error_of<sonnet_reply>(atom::generate_v, r); }
  errc get(int64_t id) { return error_of<stored_sonnet>(atom::get_v, id); }
  errc best(int64_t n, double q) {
    return error_of<std::vector<stored_sonnet>>(atom::best_v, n, q);
  }
  errc recent(int64_t n) { return error_of<std::vector<stored_sonnet>>(atom::recent_v, n); }
  errc dissonance(std::string a, std::string b) {
    return error_of<judgement>(atom::dissonance_v, std::move(a), std::move(b));
  }
  errc stats() { return error_of<cloud_stats>(atom::stats_v); }
};

generate_request req(int seed) {
  generate_request r;
  r.prompt = "the sea";
  r.seed = static_cast<uint64_t>(seed);
  r.has_seed = true;
  return r;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(bad_messages, actor_fixture)

BOOST_AUTO_TEST_CASE(service_refuses_bad_requests_and_stores_nothing) {
  auto before = query(db, "SELECT count(*), max(id) FROM sonnets");
  struct msg_case {
    std::string what;
    generate_request r;
    errc expected;
  };
  std::vector<msg_case> cases;
  auto add = [&](std::string what, errc e, auto change) {
    auto r = req(1);
    change(r);
    cases.push_back({std::move(what), r, e});
  };
  add("candidates 99", errc::invalid_argument, [](auto& r) { r.candidates = 99; });
  add("candidates -1", errc::invalid_argument, [](auto& r) { r.candidates = -1; });
  add("top_k -1", errc::invalid_argument, [](auto& r) { r.top_k = -1; });
  add("tokens 20001", errc::invalid_argument, [](auto& r) { r.tokens = 20001; });
  add("tokens INT32_MIN", errc::invalid_argument,
      [](auto& r) { r.tokens = std::numeric_limits<int32_t>::min(); });
  add("temperature 5.5", errc::invalid_argument, [](auto& r) {
    r.temperature = 5.5;
    r.has_temperature = true;
  });
  add("temperature -inf", errc::invalid_argument, [](auto& r) {
    r.temperature = -HUGE_VAL;
    r.has_temperature = true;
  });
  add("prompt of 2001 bytes", errc::prompt_too_long,
      [](auto& r) { r.prompt = std::string(2001, 'a'); });
  add("prompt with a lone continuation byte", errc::bad_encoding,
      [](auto& r) { r.prompt = "the \x80 sea"; });
  add("prompt with an encoded surrogate", errc::bad_encoding,
      [](auto& r) { r.prompt = "the \xed\xa0\x80 sea"; });
  for (auto& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      BOOST_TEST(generate(c.r) == c.expected);
    }
  }
  // Queries with bad arguments.
  BOOST_TEST(get(int64_t{0}) == errc::no_such_sonnet);
  BOOST_TEST(get(int64_t{-1}) == errc::no_such_sonnet);
  BOOST_TEST(get(std::numeric_limits<int64_t>::max()) == errc::no_such_sonnet);
  auto nan = std::numeric_limits<double>::quiet_NaN();
  BOOST_TEST(best(int64_t{5}, nan) == errc::invalid_argument);
  BOOST_TEST(best(int64_t{5}, HUGE_VAL) == errc::invalid_argument);
  BOOST_TEST(best(int64_t{-5}, 0.0) == errc::invalid_argument);
  BOOST_TEST(recent(int64_t{-1}) == errc::invalid_argument);
  BOOST_TEST(recent(std::numeric_limits<int64_t>::min()) == errc::invalid_argument);
  // The dissonance query refuses what generate refuses: ill-formed UTF-8, oversized input.
  BOOST_TEST(dissonance(std::string("caf\xc3"), std::string("x")) == errc::bad_encoding);
  BOOST_TEST(dissonance(std::string("cafe"), std::string("x\xff")) == errc::bad_encoding);
  BOOST_TEST(dissonance(std::string(3000, 'x'), std::string("x")) == errc::prompt_too_long);
  BOOST_TEST(dissonance(std::string("cafe"), std::string("the sea")) == errc::none);
  // Nothing was stored, and the service still answers.
  BOOST_TEST(stats() == errc::none);
  BOOST_TEST((query(db, "SELECT count(*), max(id) FROM sonnets") == before));
}

BOOST_AUTO_TEST_SUITE_END()
