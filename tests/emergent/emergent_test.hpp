#pragma once
// Helpers shared by the emergent layer's tests: where the prototype's state files are
// (../shared/data, SONNET_SHARED_DIR of the build), a precondition that skips a case when one
// is absent, and small file helpers for the save/load cases.

#include "tests/shared_data.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace sonnet::test {

inline const std::string shipped_brain = SONNET_SHARED_DIR "/data/sonnetbrain.json";
inline const std::string shipped_phases = SONNET_SHARED_DIR "/data/phase_transitions.json";

/// The sample sonnet of the prototype's sonnetbrain.py `__main__` (lines 357-370), on which
/// EMERGENT-SPEC §16 measured its reference values: prose-like and heavily punctuated.
inline const std::string prototype_sample = R"(When winter winds do blow and summer's heat
Doth make the flowers grow beneath our feet.
The time is come to speak of love and woe.
Proud mark your father's words, and let us go.
To be or not to be, that is the question.
Whether 'tis nobler in the mind to suffer
The slings and arrows of outrageous fortune.
Or to take arms against a sea of troubles.
And by opposing end them. To die, to sleep.
No more; and by a sleep to say we end.
The heart-ache and the thousand natural shocks.
That flesh is heir to: 'tis a consummation.
Devoutly to be wished. To die, to sleep.
To sleep, perchance to dream: ay, there's the rub.)";

/// Shakespeare's Sonnet 18 (public domain).
inline const std::string sonnet_18 = R"(Shall I compare thee to a summer's day?
Thou art more lovely and more temperate:
Rough winds do shake the darling buds of May,
And summer's lease hath all too short a date;
Sometime too hot the eye of heaven shines,
And often is his gold complexion dimm'd;
And every fair from fair sometime declines,
By chance or nature's changing course untrimm'd;
But thy eternal summer shall not fade,
Nor lose possession of that fair thou ow'st;
Nor shall Death brag thou wander'st in his shade,
When in eternal lines to time thou grow'st:
So long as men can breathe or eyes can see,
So long lives this, and this gives life to thee.)";

/// Skips a test case, saying why, when the prototype's file `path` is absent.
struct have_shared_file {
  std::string path;
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result r{std::filesystem::exists(path)};
    if (!r)
      r.message() << "skipped: " << path
                  << " is absent (the prototype's data; configure with -DSONNET_SHARED_DIR=DIR)";
    return r;
  }
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void spit(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

/// The error message of a failed result, "" for a good one (for BOOST_TEST_REQUIRE messages,
/// which are built before the check).
template <class Result>
std::string why(const Result& r) {
  return r.ok() ? std::string() : r.err().message;
}

/// A fresh path in this process's scratch directory.
inline std::string scratch_path(const std::string& name) {
  return process_temp_dir("sonnet_emergent_test_") + "/" + name;
}

} // namespace sonnet::test
