// Writes the seed corpora of the fuzzers from real inputs:
//   fuzz_seed_corpus OUT_DIR [TINYSHAKESPEARE]
// OUT_DIR/fuzz_npz: small NanoGPT checkpoints (stored and deflated) and single .npy images,
// written with tests/model/npz_writer.hpp; fuzz_formatter and fuzz_text: passages of
// tinyshakespeare (when given) and sonnet-like text; fuzz_messages: serialized messages, each
// prefixed with the type selector byte fuzz_messages.cpp reads.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "caf/binary_serializer.hpp"

#include "messages/type_ids.hpp"
#include "messages/types.hpp"
#include "tests/model/npz_writer.hpp"

namespace fs = std::filesystem;
using namespace sonnet::test;

namespace {

void put(const fs::path& dir, const std::string& name, const std::string& s) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << s;
}

void put(const fs::path& dir, const std::string& name, const bytes& b) {
  put(dir, name, std::string(b.begin(), b.end()));
}

/// A NanoGPT with vocab 10, n_embd 4, 1 head, 1 layer, block 4, MLP width 8.
bytes tiny_checkpoint(bool deflate, bool with_vocab) {
  std::mt19937 gen(1);
  std::normal_distribution<float> nd(0.f, 0.5f);
  zip_writer z;
  auto add = [&](const std::string& name, std::vector<std::size_t> shape, float base = 0.f) {
    std::size_t n = 1;
    for (auto d : shape)
      n *= d;
    std::vector<float> v(n);
    for (auto& x : v)
      x = base + nd(gen);
    z.add(name + ".npy", npy_f4(shape, v), deflate);
  };
  const std::size_t V = 10, C = 4, B = 4, F = 8;
  add("embedding_table.weight", {V, C});
  add("position_embedding_table.weight", {B, C});
  std::string p = "blocks.0.";
  add(p + "ln1.weight", {C}, 1.f);
  add(p + "ln1.bias", {C});
  add(p + "sa.heads.0.key.weight", {C, C});
  add(p + "sa.heads.0.query.weight", {C, C});
  add(p + "sa.heads.0.value.weight", {C, C});
  z.add(p + "sa.heads.0.tril.npy", npy_f4({B, B}, std::vector<float>(B * B, 1.f)), deflate);
  add(p + "sa.proj.weight", {C, C});
  add(p + "sa.proj.bias", {C});
  add(p + "ln2.weight", {C}, 1.f);
  add(p + "ln2.bias", {C});
  add(p + "ffwd.net.0.weight", {F, C});
  add(p + "ffwd.net.0.bias", {F});
  add(p + "ffwd.net.2.weight", {C, F});
  add(p + "ffwd.net.2.bias", {C});
  add("ln_f.weight", {C}, 1.f);
  add("ln_f.bias", {C});
  add("lm_head.weight", {V, C});
  add("lm_head.bias", {V});
  if (with_vocab)
    z.add("vocab.npy", npy_u1("\n abcdefgh"), deflate);
  return z.finish();
}

template <class T>
std::string serialized(char selector, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink(nullptr, buf);
  if (auto err = sink(x))
    std::cerr << "cannot serialize\n";
  return std::string(1, selector) + std::string(buf.begin(), buf.end());
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: fuzz_seed_corpus OUT_DIR [TINYSHAKESPEARE]\n";
    return 2;
  }
  fs::path out = argv[1];
  // fuzz_npz
  auto npz = out / "fuzz_npz";
  put(npz, "tiny_deflated.npz", tiny_checkpoint(true, true));
  put(npz, "tiny_stored.npz", tiny_checkpoint(false, true));
  put(npz, "tiny_no_vocab.npz", tiny_checkpoint(true, false));
  put(npz, "f4.npy", npy_f4({2, 3}, {1, 2, 3, 4, 5, 6}));
  put(npz, "f4_v2.npy", npy_f4({3}, {1, 2, 3}, 2));
  put(npz, "f8_scalar.npy", npy_f8({}, {0.5f}));
  put(npz, "u1.npy", npy_u1("\n abc"));
  // fuzz_formatter / fuzz_text
  std::string corpus;
  if (argc > 2) {
    std::ifstream in(argv[2], std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    corpus = s.str();
  }
  std::vector<std::string> passages;
  for (std::size_t off : {0ul, 20000ul, 150000ul, 600000ul, 1000000ul})
    if (off < corpus.size())
      passages.push_back(corpus.substr(off, 1200));
  std::string sonnet18 =
    "Shall I compare thee to a summer's day?\nThou art more lovely and more temperate:\n"
    "Rough winds do shake the darling buds of May,\nAnd summer's lease hath all too short a date;\n"
    "Sometime too hot the eye of heaven shines,\nAnd often is his gold complexion dimm'd;\n"
    "And every fair from fair sometime declines,\nBy chance or nature's changing course "
    "untrimm'd;\n"
    "But thy eternal summer shall not fade,\nNor lose possession of that fair thou ow'st;\n"
    "Nor shall death brag thou wander'st in his shade,\nWhen in eternal lines to time thou "
    "grow'st:\n"
    "So long as men can breathe or eyes can see,\nSo long lives this, and this gives life to thee.";
  passages.push_back("ROMEO:\n" + sonnet18 + "\n[Exit]\n");
  passages.push_back("\xc3\x89LISE: caf\xc3\xa9 \xe2\x80\x94 \xce\xa3\xcf\x83\n\xff\xfe broken\n");
  for (std::size_t i = 0; i < passages.size(); ++i) {
    put(out / "fuzz_formatter", "passage" + std::to_string(i) + ".txt", passages[i]);
    put(out / "fuzz_text", "passage" + std::to_string(i) + ".txt",
        "the summer sea" + std::string(1, '\0') + passages[i]);
  }
  // fuzz_messages
  auto msg = out / "fuzz_messages";
  sonnet::generate_request g{"the sea", 0.8, true, 7, true, 2400, 5, 3};
  put(msg, "generate_request", serialized(0, g));
  sonnet::sonnet_reply r;
  r.id = 3;
  r.text = sonnet18;
  r.lines = {"Shall I compare thee to a summer's day?", "Thou art more lovely"};
  r.analysis.push_back({10, "0101010101", 1.0, "EY"});
  r.dissonance = 0.4;
  r.seed = 99;
  put(msg, "sonnet_reply", serialized(1, r));
  put(msg, "continue_request",
      serialized(2, sonnet::continue_request{"ROMEO:\n", 800, 0.8, 0, 1, true}));
  put(msg, "continuation", serialized(3, sonnet::continuation{"text", 4, 1.5}));
  sonnet::formatted f;
  f.lines = {"a line", "another"};
  f.reason = "Expected 14 lines, got 2";
  put(msg, "formatted", serialized(4, f));
  put(msg, "judge_request", serialized(5, sonnet::judge_request{"love", sonnet18, 0.5, 0.8, 3}));
  put(msg, "judged", serialized(6, sonnet::judged{5, {0.3, {0.1, 0.2, 0.3}}}));
  sonnet::store_request st;
  st.text = sonnet18;
  put(msg, "store_request", serialized(7, st));
  sonnet::stored_sonnet s;
  s.id = 1;
  s.text = "x";
  s.quality = 0.5;
  put(msg, "stored_sonnet", serialized(8, s));
  put(msg, "cloud_stats", serialized(9, sonnet::cloud_stats{3, 0.5, 0.4, 100}));
  put(msg, "stored_sonnets", serialized(10, std::vector<sonnet::stored_sonnet>{s, s}));
  put(msg, "strings", serialized(11, std::vector<std::string>{"a", "bc"}));
  put(msg, "store_requests", serialized(12, std::vector<sonnet::store_request>{st, st}));
  return 0;
}
