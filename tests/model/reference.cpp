// The forward pass against reference/reference.json (float64 numpy), both numerics, computed by
// full recomputation and by KV-cache decoding.

#include "model/model.hpp"
#include "tests/model/fixtures.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <fstream>

using namespace sonnet;
using namespace sonnet::test;
namespace sm = sonnet::model;

namespace {

void check_variant(const std::string& name, sm::numerics v) {
  std::ifstream f(shared_dir + "/reference/reference.json");
  BOOST_REQUIRE_MESSAGE(f, "cannot read " << shared_dir << "/reference/reference.json");
  auto ref = nlohmann::json::parse(f);
  sm::load_options o;
  o.variant = v;
  auto m = sm::load_model(checkpoint_path, o);
  BOOST_REQUIRE_MESSAGE(m, (m ? "" : m.err().message));
  BOOST_CHECK_EQUAL((*m)->vocab().chars(), ref["vocab"].get<std::string>());
  float worst_full = 0, worst_cache = 0;
  int checked = 0;
  for (const auto& p : ref["variants"][name]["prompts"]) {
    const auto prompt = p["prompt"].get<std::string>();
    const auto positions = p["positions"].get<std::vector<int>>();
    const auto logits = p["logits"].get<std::vector<std::vector<float>>>();
    // KV-cache decoding: feed the prompt one char at a time.
    sm::decoder d(*m, sm::window_mode::exact);
    d.start(prompt.substr(0, 1), {});
    int at = 0;
    for (std::size_t i = 0; i < positions.size(); ++i) {
      const int pos = positions[i];
      auto full =
        sm::last_logits(**m, std::string_view(prompt).substr(0, static_cast<std::size_t>(pos) + 1));
      while (at < pos)
        d.push((*m)->vocab().encode_char(prompt[static_cast<std::size_t>(++at)]));
      float df = max_abs_diff(full, logits[i]);
      float dc = max_abs_diff(d.logits(), logits[i]);
      worst_full = std::max(worst_full, df);
      worst_cache = std::max(worst_cache, dc);
      BOOST_CHECK_MESSAGE(df < 2e-3f, name << " prompt #" << checked << " pos " << pos
                                           << ": full max diff " << df);
      BOOST_CHECK_MESSAGE(dc < 2e-3f,
                          name << " prompt pos " << pos << ": KV-cache max diff " << dc);
    }
    ++checked;
  }
  BOOST_TEST_MESSAGE(name << ": max |logit - reference| full recomputation " << worst_full
                          << ", KV cache " << worst_cache << " (tolerance 2e-3)");
  std::printf("reference %s: max abs diff full %.3g, kv-cache %.3g\n", name.c_str(), worst_full,
              worst_cache);
}

} // namespace

BOOST_AUTO_TEST_SUITE(reference_logits)

BOOST_AUTO_TEST_CASE(as_trained, *boost::unit_test::precondition(have_checkpoint{})) {
  check_variant("as_trained", sm::numerics::as_trained);
}

BOOST_AUTO_TEST_CASE(numpy_port, *boost::unit_test::precondition(have_checkpoint{})) {
  check_variant("numpy_port", sm::numerics::numpy_port);
}

BOOST_AUTO_TEST_SUITE_END()
