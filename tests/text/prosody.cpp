#include <boost/test/unit_test.hpp>

#include "text/best_of.hpp"
#include "text/formatter.hpp"
#include "text/pronouncing.hpp"
#include "text/prosody.hpp"
#include "text/quality.hpp"

#include <algorithm>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

using namespace sonnet::text;
using strings = std::vector<std::string>;

namespace {

const strings sonnet18 = {"Shall I compare thee to a summer's day?",
                          "Thou art more lovely and more temperate:",
                          "Rough winds do shake the darling buds of May,",
                          "And summer's lease hath all too short a date:",
                          "Sometime too hot the eye of heaven shines,",
                          "And often is his gold complexion dimm'd;",
                          "And every fair from fair sometime declines,",
                          "By chance or nature's changing course untrimm'd;",
                          "But thy eternal summer shall not fade",
                          "Nor lose possession of that fair thou ow'st;",
                          "Nor shall Death brag thou wander'st in his shade,",
                          "When in eternal lines to time thou grow'st:",
                          "So long as men can breathe or eyes can see,",
                          "So long lives this, and this gives life to thee."};

// The same words in a random order, poured back into lines of the original word counts.
strings shuffled(const strings& lines, unsigned seed) {
  std::vector<std::string> words;
  std::vector<std::size_t> counts;
  for (const auto& l : lines) {
    auto w = split_words(l);
    counts.push_back(w.size());
    words.insert(words.end(), w.begin(), w.end());
  }
  std::mt19937 rng(seed);
  for (std::size_t i = words.size(); i > 1; --i) // Fisher-Yates, portable across libraries
    std::swap(words[i - 1], words[rng() % i]);
  strings out;
  std::size_t k = 0;
  for (auto c : counts) {
    std::string l;
    for (std::size_t i = 0; i < c; ++i)
      l += (i ? " " : "") + words[k++];
    if (!l.empty() && l[0] >= 'a' && l[0] <= 'z')
      l[0] = static_cast<char>(l[0] - 32); // keep the formatter's capital-letter rule happy
    out.push_back(l);
  }
  return out;
}

const dictionary& dict() {
  return *shared_dictionary();
}

struct have_dictionary {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result r(shared_dictionary()->size() > 0);
    if (!r)
      r.message() << "skipped: no CMU pronouncing dictionary (apt-get install festlex-cmu or "
                     "pocketsphinx-en-us, or set SONNET_CMUDICT=<file>)";
    return r;
  }
};

struct dictionary_with_stress {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    auto d = shared_dictionary();
    boost::test_tools::assertion_result r(d->size() > 0 && d->has_stress());
    if (!r)
      r.message() << "skipped: needs a pronouncing dictionary with stress marks (festlex-cmu); "
                  << (d->size() ? d->source() + " has none" : std::string("none found"));
    return r;
  }
};

bool rhyme(const dictionary& d, const char* a, const char* b) {
  return rhymes(lookup(d, a), lookup(d, b));
}

std::string write_temp(const std::string& name, const std::string& content) {
  auto path =
    std::filesystem::temp_directory_path() / (name + "." + std::to_string(::getpid()) + ".dict");
  std::ofstream(path) << content;
  return path.string();
}

} // namespace

BOOST_AUTO_TEST_SUITE(pronouncing)

BOOST_AUTO_TEST_CASE(normalises_words) {
  BOOST_TEST(normalize_word("Summer's") == "summer's");
  BOOST_TEST(normalize_word("day?") == "day");
  BOOST_TEST(normalize_word("\xE2\x80\x9C"
                            "DIMM\xE2\x80\x99"
                            "D,\xE2\x80\x9D")
             == "dimm'd");
  BOOST_TEST(normalize_word("'") == "");
  BOOST_TEST(normalize_word("--") == "");
  BOOST_TEST((split_words("Shall I--compare thee, to a summer's day?")
              == strings{"shall", "i", "compare", "thee", "to", "a", "summer's", "day"}));
  BOOST_TEST((split_words("well-a-day 42 times") == strings{"well", "a", "day", "times"}));
}

BOOST_AUTO_TEST_CASE(spelling_fallback) {
  BOOST_TEST(spelling_syllables("queue") == 1);
  BOOST_TEST(spelling_syllables("rhythm") == 1);
  BOOST_TEST(spelling_syllables("brrr") == 1); // a word has at least one syllable
  BOOST_TEST(spelling_syllables("florabundant") == 4);
  BOOST_TEST(spelling_rhyme("shade") == "ade");
  BOOST_TEST(spelling_rhyme("shades") == "ades");
  BOOST_TEST(spelling_rhyme("day") == "ay");
  BOOST_TEST(spelling_rhyme("thee") == "ee");
  BOOST_TEST(spelling_rhyme("grow'st") == "owst");
  BOOST_TEST(spelling_rhyme("brrr") == "");
}

BOOST_AUTO_TEST_CASE(empty_dictionary_falls_back_everywhere) {
  const auto& d = *dictionary::empty();
  auto w = lookup(d, "Temperate:");
  BOOST_TEST(!w.known);
  BOOST_TEST(w.word == "temperate");
  BOOST_TEST(w.syllables == 4); // te-mpe-ra-te: the prototype's vowel groups
  BOOST_TEST(w.stress == "????");
  BOOST_TEST(w.rhymes.empty());
  BOOST_TEST(rhymes(lookup(d, "fade"), lookup(d, "shade")));
  BOOST_TEST(rhymes(lookup(d, "day"), lookup(d, "May")));
  BOOST_TEST(!rhymes(lookup(d, "day"), lookup(d, "date")));
  BOOST_TEST(!rhymes(lookup(d, "day"), lookup(d, "day"))); // repetition is no rhyme
  auto a = analyze(d, sonnet18);
  BOOST_TEST(a.known_share == 0.0);
  BOOST_TEST(a.lines.size() == 14u);
  BOOST_TEST(a.rhyme_pairs >= 4); // day/May, fade/shade, shines/declines, ow'st/grow'st...
}

BOOST_AUTO_TEST_CASE(missing_file_is_an_error) {
  auto d = dictionary::load("/nonexistent/cmudict.dict");
  BOOST_REQUIRE(!d);
  BOOST_TEST(d.err().message.find("/nonexistent/cmudict.dict") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reads_both_file_formats) {
  auto plain = write_temp("plain", ";;; comment\n"
                                   "SUMMER  S AH1 M ER0\n"
                                   "drummer D R AH1 M ER0\n"
                                   "day D EY1\n"
                                   "wind W IH1 N D\n"
                                   "wind(2) W AY1 N D\n"
                                   "mind M AY1 N D\n");
  auto d = dictionary::load(plain);
  std::filesystem::remove(plain);
  BOOST_REQUIRE(d);
  BOOST_TEST((*d)->has_stress());
  BOOST_TEST(!(*d)->find("drummer").empty());
  BOOST_TEST((*d)->find("wind").size() == 2u);
  auto s = lookup(**d, "Summer's");
  BOOST_TEST(s.known);
  BOOST_TEST(s.stress == "10");
  BOOST_TEST(s.rhymes.front() == "AH M ER Z");
  BOOST_TEST(rhyme(**d, "summer", "drummer"));
  BOOST_TEST(rhyme(**d, "wind", "mind")); // any pronunciation may rhyme

  auto fest = write_temp("festival", "MNCL\n"
                                     "(\"summer\" nil (((s ah) 1) ((m er) 0)))\n"
                                     "(\"temperate\" nil (((t eh m) 1) ((p r ax t) 0)))\n"
                                     "(\"the\" nil (((dh ax) 0)))\n");
  auto f = dictionary::load(fest);
  std::filesystem::remove(fest);
  BOOST_REQUIRE(f);
  BOOST_TEST(!(*f)->find("summer").empty());
  auto t = lookup(**f, "temperate");
  BOOST_TEST(t.stress == "10");
  BOOST_TEST(t.rhymes.front() == "EH M P R AH T");
  BOOST_TEST(lookup(**f, "the").rhymes.front() == "AH"); // no stressed vowel: the last one

  auto nostress = write_temp("nostress", "summer S AH M ER\nday D EY\n");
  auto n = dictionary::load(nostress);
  std::filesystem::remove(nostress);
  BOOST_REQUIRE(n);
  BOOST_TEST(!(*n)->has_stress());
  BOOST_TEST(lookup(**n, "summer").stress == "??");
  BOOST_TEST(lookup(**n, "summer").rhymes.front() == "ER");
  BOOST_TEST(lookup(**n, "day").stress == "1");
}

BOOST_AUTO_TEST_CASE(large_files_are_read_in_chunks_and_merged) {
  // ~200 KiB: lines cross the 64 KiB read chunks; a word split over lines ("its" and "it's",
  // both keyed "its") keeps both pronunciations, and exact duplicates are dropped.
  std::string content = "its IH1 T S\n";
  for (int i = 0; i < 8000; ++i)
    content += "word" + std::to_string(i) + " W ER1 D AH0 " + (i % 2 ? "Z" : "S") + "\n";
  content += "it's IH0 T S\nits IH1 T S\nlast L AE1 S T"; // no final newline
  auto path = write_temp("chunks", content);
  auto d = dictionary::load(path);
  std::filesystem::remove(path);
  BOOST_REQUIRE(d);
  BOOST_TEST((*d)->size() >= 8002u); // plus the built-in Early Modern words
  for (int i = 0; i < 8000; ++i) {
    auto p = (*d)->find("word" + std::to_string(i));
    BOOST_REQUIRE(p.size() == 1u);
    BOOST_TEST(p.front().stress == "10");
    BOOST_TEST(p.front().rhyme == (i % 2 ? "ER D AH Z" : "ER D AH S"));
  }
  auto its = (*d)->find("its");
  BOOST_REQUIRE(its.size() == 2u);
  BOOST_TEST(its[0].stress == "1");
  BOOST_TEST(its[1].stress == "0");
  BOOST_TEST((*d)->find("last").front().rhyme == "AE S T");
  BOOST_TEST((*d)->find("word8000").empty());
  BOOST_TEST((*d)->find("").empty());
}

BOOST_AUTO_TEST_CASE(the_dictionary_is_compact,
                     *boost::unit_test::precondition(have_dictionary{})) {
  // ~4.6 MB for CMUdict 0.4's 106k words (was ~18 MB as an unordered_map of strings)
  const auto& d = dict();
  std::printf("%s: %zu words in %zu KiB\n", d.source().c_str(), d.size(), d.memory_bytes() / 1024);
  BOOST_TEST(d.memory_bytes() < 8u * 1024 * 1024);
  BOOST_TEST(d.memory_bytes() > 0u);
}

BOOST_AUTO_TEST_CASE(compiled_form_round_trips_and_refuses_damage) {
  auto src = write_temp("compile-src", "summer S AH1 M ER0\n"
                                       "wind W IH1 N D\n"
                                       "wind(2) W AY1 N D\n"
                                       "day D EY1\n");
  auto text = dictionary::load(src);
  BOOST_REQUIRE(text);
  const auto bin = src + ".bin";
  BOOST_REQUIRE((*text)->save_compiled(bin));
  auto c = dictionary::load(bin);
  BOOST_REQUIRE(c);
  BOOST_TEST((*c)->source() == bin);
  BOOST_TEST((*c)->size() == (*text)->size());
  BOOST_TEST((*c)->has_stress());
  for (const char* w : {"summer", "wind", "day", "doth", "missing"}) {
    auto a = (*text)->find(w);
    auto b = (*c)->find(w);
    BOOST_REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      BOOST_TEST(a[i].stress == b[i].stress);
      BOOST_TEST(a[i].rhyme == b[i].rhyme);
    }
  }
  BOOST_TEST(lookup(**c, "wind").rhymes.size() == 2u);

  std::string bytes;
  {
    std::ifstream in(bin, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto load_bytes = [&](const std::string& b) {
    std::ofstream(bin, std::ios::binary | std::ios::trunc) << b;
    return dictionary::load(bin);
  };
  // cut anywhere: refused, naming the file
  for (std::size_t cut : {std::size_t{8}, std::size_t{40}, bytes.size() / 2, bytes.size() - 1}) {
    auto r = load_bytes(bytes.substr(0, cut));
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.err().message.find(bin) != std::string::npos);
  }
  // a record pointing past the arena (the first word record's offset, after header + padded
  // path + padded arena)
  {
    auto b = bytes;
    std::uint64_t path_len = 0, arena = 0;
    std::memcpy(&path_len, b.data() + 32, 8);
    std::memcpy(&arena, b.data() + 40, 8);
    const std::size_t words_at = 72 + ((path_len + 7) & ~7ull) + ((arena + 7) & ~7ull);
    const std::uint32_t huge = 0x7fffffff;
    std::memcpy(b.data() + words_at, &huge, 4);
    auto r = load_bytes(b);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.err().message.find("out of bounds") != std::string::npos);
  }
  // a source that changed since compiling makes the compiled form stale
  BOOST_REQUIRE(load_bytes(bytes));
  std::ofstream(src, std::ios::app) << "night N AY1 T\n";
  auto stale = dictionary::load(bin);
  BOOST_REQUIRE(!stale);
  BOOST_TEST(stale.err().message.find("stale") != std::string::npos);
  std::filesystem::remove(src);
  BOOST_TEST(dictionary::load(bin).ok()); // without its source it stands alone
  std::filesystem::remove(bin);
}

BOOST_AUTO_TEST_CASE(build_compiles_the_installed_dictionary,
                     *boost::unit_test::precondition(have_dictionary{})) {
  // The build's compiled file (default_paths()[0]) is what processes load first; it must hold
  // exactly what parsing its source gives, for every word of the source.
  auto paths = dictionary::default_paths();
  BOOST_REQUIRE(!paths.empty());
  auto compiled = dictionary::load(paths[0]);
  if (!compiled) {
    BOOST_TEST_MESSAGE("skipped: no compiled dictionary at " << paths[0]);
    return;
  }
  BOOST_TEST(shared_dictionary()->source() == paths[0]);
  const std::string source = "/usr/share/festival/dicts/cmu/cmudict-0.4.out";
  auto text = dictionary::load(source);
  BOOST_REQUIRE(text);
  BOOST_TEST((*compiled)->size() == (*text)->size());
  BOOST_TEST((*compiled)->has_stress() == (*text)->has_stress());
  std::ifstream in(source);
  std::size_t checked = 0, mismatches = 0;
  for (std::string line; std::getline(in, line);) {
    auto q1 = line.find('"');
    auto q2 = q1 == std::string::npos ? q1 : line.find('"', q1 + 1);
    if (q2 == std::string::npos)
      continue;
    std::string w;
    for (char ch : line.substr(q1 + 1, q2 - q1 - 1))
      if (ch != '\'')
        w.push_back(ch);
    auto a = (*text)->find(w);
    auto b = (*compiled)->find(w);
    bool same = a.size() == b.size() && !a.empty();
    for (std::size_t i = 0; same && i < a.size(); ++i)
      same = a[i].stress == b[i].stress && a[i].rhyme == b[i].rhyme;
    mismatches += same ? 0 : 1;
    ++checked;
  }
  BOOST_TEST(checked > 100000u);
  BOOST_TEST(mismatches == 0u);
}

BOOST_AUTO_TEST_CASE(known_words, *boost::unit_test::precondition(have_dictionary{})) {
  auto day = lookup(dict(), "day");
  BOOST_TEST(day.known);
  BOOST_TEST(day.syllables == 1);
  BOOST_TEST(day.rhymes.front() == "EY");
  BOOST_TEST(lookup(dict(), "summer").syllables == 2);
  BOOST_TEST(lookup(dict(), "possession").syllables == 3);
  BOOST_TEST(lookup(dict(), "every").syllables == 3);
  // contractions
  BOOST_TEST(lookup(dict(), "dimm'd").known);
  BOOST_TEST(lookup(dict(), "dimm'd").syllables == 1);
  BOOST_TEST(lookup(dict(), "wander'st").syllables == 2);
  BOOST_TEST(lookup(dict(), "grow'st").rhymes.front() == "OW S T");
  BOOST_TEST(lookup(dict(), "summer's").known);
  BOOST_TEST(lookup(dict(), "doth").known); // built-in Early Modern supplement
  BOOST_TEST(lookup(dict(), "o'er").syllables == 1);
}

BOOST_AUTO_TEST_CASE(rhymes_and_non_rhymes, *boost::unit_test::precondition(have_dictionary{})) {
  BOOST_TEST(rhyme(dict(), "day", "May"));
  BOOST_TEST(rhyme(dict(), "fade", "shade"));
  BOOST_TEST(rhyme(dict(), "shines", "declines"));
  BOOST_TEST(rhyme(dict(), "see", "thee"));
  BOOST_TEST(rhyme(dict(), "ow'st", "grow'st"));
  BOOST_TEST(rhyme(dict(), "dimm'd", "untrimm'd"));
  BOOST_TEST(rhyme(dict(), "love", "dove"));
  BOOST_TEST(rhyme(dict(), "eyes", "lies"));
  // temperate/date rhymed for the eye in 1609; CMU stresses TEMperate, so it does not here
  BOOST_TEST(!rhyme(dict(), "temperate", "date"));
  BOOST_TEST(!rhyme(dict(), "day", "date"));
  BOOST_TEST(!rhyme(dict(), "love", "move")); // an eye rhyme, not a sound rhyme
  if (dict().has_stress()) // without stress marks keys start at the last vowel: both are "ER"
    BOOST_TEST(!rhyme(dict(), "summer", "winter"));
  BOOST_TEST(!rhyme(dict(), "thee", "thee"));
  // a known word and an invented one compare by spelling
  BOOST_TEST(rhyme(dict(), "shade", "glorblade"));
  BOOST_TEST(!lookup(dict(), "glorblade").known);
}

BOOST_AUTO_TEST_CASE(unknown_words_use_the_fallback,
                     *boost::unit_test::precondition(have_dictionary{})) {
  auto w = lookup(dict(), "Florabundious,");
  BOOST_TEST(!w.known);
  BOOST_TEST(w.syllables == spelling_syllables("florabundious"));
  BOOST_TEST(w.stress == std::string(static_cast<std::size_t>(w.syllables), '?'));
  BOOST_TEST(rhyme_key(w) == "~ious");
  auto l = analyze_line(dict(), "The florabundious glimmerquaff doth sing");
  BOOST_TEST(l.words == 5);
  BOOST_TEST(l.known_words == 3);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(prosody)

BOOST_AUTO_TEST_CASE(iambic_fit_definition) {
  // "compare" 01 at positions 2-3: fits; at 1-2: both syllables misplaced
  BOOST_TEST(
    iambic_fit("1101011111", {true, true, false, false, true, true, true, true, true, true})
    == 1.0);
  BOOST_TEST(
    iambic_fit("1011111111", {true, false, false, true, true, true, true, true, true, true})
    == 0.0);
  // all free: only the length counts
  BOOST_TEST(iambic_fit(std::string(10, '1'), std::vector<bool>(10, true)) == 1.0);
  BOOST_TEST(iambic_fit(std::string(9, '1'), std::vector<bool>(9, true)) == 0.75);
  BOOST_TEST(iambic_fit(std::string(12, '1'), std::vector<bool>(12, true)) == 0.5);
  BOOST_TEST(iambic_fit(std::string(4, '1'), std::vector<bool>(4, true)) == 0.0);
  // feminine ending: 11th syllable unstressed
  BOOST_TEST(iambic_fit("01010101010", std::vector<bool>(11, false)) == 1.0);
  BOOST_TEST(iambic_fit("01010101011", std::vector<bool>(11, true)) == 0.75);
  BOOST_TEST(iambic_fit("", {}) == 0.0);
}

BOOST_AUTO_TEST_CASE(sonnet_18_scores_high,
                     *boost::unit_test::precondition(dictionary_with_stress{})) {
  auto a = assess(dict(), sonnet18);
  std::printf("sonnet 18: meter %.3f, rhyme pairs %d, structure %.3f, quality %.3f\n",
              a.quality.meter, a.quality.rhyme_pairs, a.quality.structure, a.quality.score);
  for (std::size_t i = 0; i < a.prosody.lines.size(); ++i) {
    const auto& l = a.prosody.lines[i];
    std::printf("  %2zu %2d %-13s %.2f %s\n", i + 1, l.syllables, l.stress.c_str(), l.iambic_fit,
                rhyme_key(l.end).c_str());
  }
  BOOST_TEST(a.quality.meter >= 0.8);
  BOOST_TEST(a.quality.rhyme_pairs >= 6); // temperate/date is the one eye rhyme
  BOOST_TEST(a.quality.structure == 1.0);
  BOOST_TEST(a.quality.score >= 0.85);
}

BOOST_AUTO_TEST_CASE(shuffled_words_score_low,
                     *boost::unit_test::precondition(dictionary_with_stress{})) {
  auto original = assess(dict(), sonnet18);
  double meter = 0, rhyme = 0, quality = 0;
  const int runs = 10;
  for (unsigned seed = 1; seed <= runs; ++seed) {
    auto a = assess(dict(), shuffled(sonnet18, seed));
    meter += a.quality.meter / runs;
    rhyme += a.quality.rhyme / runs;
    quality += a.quality.score / runs;
  }
  std::printf("shuffled (mean of %d): meter %.3f, rhyme %.3f, quality %.3f\n", runs, meter, rhyme,
              quality);
  BOOST_TEST(meter < original.quality.meter - 0.2);
  BOOST_TEST(rhyme < 0.25);
  BOOST_TEST(quality < original.quality.score - 0.3);
}

BOOST_AUTO_TEST_CASE(quality_is_a_documented_weighted_sum) {
  sonnet_prosody p;
  BOOST_TEST(score(p).score == 0.0);
  p.lines.resize(14);
  for (auto& l : p.lines)
    l.syllables = 10;
  p.meter = 0.5;
  p.rhyme_pairs = 7;
  p.rhyme = 1.0;
  auto q = score(p);
  BOOST_TEST(q.structure == 1.0);
  BOOST_TEST(q.score == 0.4 + 0.3 * 0.5 + 0.3, boost::test_tools::tolerance(1e-12));
  p.lines[0].syllables = 8; // one line out of verse length lowers structure by 1/14
  BOOST_TEST(score(p).structure == 13.0 / 14, boost::test_tools::tolerance(1e-12));
  p.lines.resize(7); // half a sonnet
  BOOST_TEST(score(p).line_shape == 0.5);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(best_of_n)

BOOST_AUTO_TEST_CASE(picks_the_best_whole_candidate) {
  const auto& d = *dictionary::empty(); // spelling fallback: independent of the installed files
  std::string good;
  for (const auto& l : sonnet18)
    good += l + "\n";
  std::string bad;
  for (const auto& l : shuffled(sonnet18, 3))
    bad += l + "\n";
  const std::string short_text = "ROMEO:\nToo short a text for a sonnet.\n";
  auto c = best_of(d, {short_text, bad, good, bad});
  BOOST_REQUIRE(c);
  BOOST_TEST(c->index == 2);
  BOOST_TEST(c->lines.size() == 14u);
  BOOST_TEST(c->lines.front() == sonnet18.front());
  BOOST_TEST(c->formatted_candidates == 3);
  BOOST_TEST(c->valid);
  BOOST_TEST(c->a.quality.score > assess(d, shuffled(sonnet18, 3)).quality.score);
  // ties keep the first; nothing formattable gives nullopt
  BOOST_TEST(best_of(d, {good, good})->index == 0);
  BOOST_TEST(!best_of(d, {short_text, ""}));
  BOOST_TEST(!best_of(d, {}));
}

BOOST_AUTO_TEST_CASE(valid_candidates_come_first) {
  const auto& d = *dictionary::empty();
  // 14 rhyming but short lines (invalid: average syllables < 9) against a valid plain text
  std::string invalid;
  for (int i = 0; i < 14; ++i)
    invalid += (i % 2 ? "Away we play\n" : "The fading day\n");
  std::string valid;
  for (int i = 0; i < 14; ++i)
    valid += "The gentle river sings beneath the moon\n";
  auto c = best_of(d, {invalid, valid});
  BOOST_REQUIRE(c);
  BOOST_TEST(c->index == 1);
}

BOOST_AUTO_TEST_CASE(line_assembly_uses_only_the_models_lines) {
  const auto& d = *dictionary::empty();
  std::string raw;
  for (const auto& l : sonnet18)
    raw += l + "\n";
  auto as = assemble(d, {raw});
  BOOST_REQUIRE(as);
  BOOST_TEST(as->lines.size() == 14u);
  for (const auto& l : as->lines)
    BOOST_TEST((std::find(sonnet18.begin(), sonnet18.end(), l) != sonnet18.end()));
  // by spelling, lines 2 and 7 have 14 syllables: the rhymes they carry are left out
  BOOST_TEST(as->rhyming_pairs == 5);
  BOOST_TEST(analyze(d, as->lines).rhyme_pairs == as->rhyming_pairs);
  BOOST_TEST(!assemble(d, {"Nothing rhymes in here at all today\n"}));
}

BOOST_AUTO_TEST_SUITE_END()
