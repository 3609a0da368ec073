// Subcommands that go through the service actor: generate, queries, dissonance, chat.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <limits>
#include <iostream>
#include <sstream>

#include "caf/all.hpp"

#include "apps/sonnet/commands.hpp"
#include "apps/sonnet/common.hpp"
#include "apps/sonnet/replies.hpp"
#include "messages/json.hpp"
#include "actors/request_rules.hpp"
#include "core/regular_file.hpp"
#include "apps/sonnet/session.hpp"
#include "messages/errors.hpp"

namespace sonnet::cli {

namespace {

/// Sends the requests with at most `k` in flight and reports each reply as it arrives.
/// Stops sending once the service is gone or shutting down (the rest would fail the same way).
/// Returns the number of requests that failed or were not sent.
size_t run_batch(caf::actor_system& sys, service_actor svc, std::vector<generate_request> reqs,
                 size_t k, const std::function<void(const sonnet_reply&)>& on_reply,
                 const std::function<void(size_t, const caf::error&)>& on_error) {
  auto failed = std::make_shared<size_t>(0);
  auto driver = sys.spawn([=](caf::event_based_actor* self) {
    auto next = std::make_shared<size_t>(0);
    auto in_flight = std::make_shared<size_t>(0);
    auto stop = std::make_shared<bool>(false);
    auto send_next = std::make_shared<std::function<void()>>();
    *send_next = [=] {
      while (!*stop && *in_flight < k && *next < reqs.size()) {
        auto i = (*next)++;
        ++*in_flight;
        self->request(svc, client_timeout, atom::generate_v, reqs[i])
          .then(
            [=](const sonnet_reply& r) {
              --*in_flight;
              on_reply(r);
              (*send_next)();
            },
            [=](const caf::error& e) {
              --*in_flight;
              ++*failed;
              on_error(i, e);
              if (is(e, errc::no_worker) || is(e, errc::shutting_down))
                *stop = true;
              (*send_next)();
            });
      }
      if (*in_flight == 0 && (*stop || *next == reqs.size())) {
        if (*next < reqs.size())
          std::cerr << "sonnet generate: " << reqs.size() - *next
                    << " requests not sent: the service is gone or shutting down\n";
        *failed += reqs.size() - *next;
        self->quit();
        // Break the self-reference last: this destroys the closure that is running (its
        // captures, `self` included), so nothing after it may touch them (ASan found
        // self->quit() reading a freed capture when it came after this line).
        *send_next = nullptr;
      }
    };
    (*send_next)();
  });
  caf::scoped_actor self{sys};
  self->wait_for(driver);
  return *failed;
}

std::vector<option_spec> generate_options() {
  return {
    {"prompt", "TEXT", "your words: the model continues them; dissonance compares with them"},
    {"prompt-file", "PATH", "read the prompt from a file (at most 2000 bytes are accepted)"},
    {"temperature", "T",
     "sampling temperature in [0, 5] (default: from the temperature policy)"},
    {"temperature-policy", "P",
     "bands (default: adapted from the last dissonance) or phases (the phase system's, see "
     "`sonnet phase`)"},
    {"seed", "S", "seed of request i is S+i (default: random, printed with each sonnet)"},
    {"tokens", "N", "token budget per sonnet (default 2400: 800, then 400 more at a time)"},
    {"top-k", "K", "sample among the K likeliest characters (0 = all)"},
    {"candidates", "N", "best-of-N: sample N candidates, keep the best (default 1, at most 16)"},
    {"count", "N", "number of sonnets (default 1)"},
    {"concurrency", "K", "requests in flight at once (default 1)"},
    {"max-sequences", "N", "sequences decoded at once; more wait their turn (default 64)"},
    {"db", "PATH", "the sonnet cloud (default ./sonnets.db)"},
    {"emergent", "on|off",
     "SonnetBrain's score in each reply and the phases, learning from each sonnet, their state "
     "beside the cloud as DB.brain.json, DB.phases.json, DB.dream.json (default on)"},
    {"json", "", "one JSON object per line instead of text"},
    {"raw", "", "print raw model text instead (see `sonnet generate --raw --help`)"},
  };
}

} // namespace

int cmd_generate(int argc, char** argv) {
  for (int i = 2; i < argc; ++i)
    if (std::string{argv[i]} == "--raw")
      return cmd_generate_raw(argc, argv);
  auto specs = generate_options() + model_options();
  auto parsed = parse_command(
    argc, argv, "sonnet generate [--prompt TEXT] [--count N] [--concurrency K] [--json] ...",
    "Generates sonnets through the actor pipeline (model -> formatter -> dissonance -> cloud)\n"
    "and stores each one in the cloud.",
    specs);
  if (!parsed)
    return exit_ok;
  auto& a = *parsed;
  generate_request base;
  base.prompt = a.str("prompt").value_or("");
  if (auto path = a.str("prompt-file")) {
    if (a.has("prompt"))
      throw usage_error{"--prompt and --prompt-file exclude each other"};
    auto limit = budget_rules{}.max_prompt_bytes;
    // A regular file only (a directory, FIFO or device is refused before any read); read one
    // byte past the limit at most: a huge file is refused without reading it all.
    auto file = regular_file::open(*path, errc::invalid_argument);
    if (!file)
      return report("generate", "cannot read the prompt file " + file.err().message);
    auto buf = file->read_all(static_cast<size_t>(limit), errc::prompt_too_long, *path);
    if (!buf)
      return report("generate", "prompt_too_long: " + *path + " holds more than "
                                  + std::to_string(limit) + " bytes");
    base.prompt.assign(buf->begin(), buf->end());
  }
  if (auto t = a.real("temperature")) {
    base.temperature = *t;
    base.has_temperature = true;
  }
  if (auto p = a.str("temperature-policy"))
    base.temperature_policy = static_cast<int32_t>(parse_temperature_policy(*p));
  auto count = a.integer("count").value_or(1);
  auto concurrency = a.integer("concurrency").value_or(1);
  if (count < 1 || count > 100000)
    return report("generate", fail(errc::invalid_argument, "--count must be in [1, 100000]"));
  if (concurrency < 1 || concurrency > 1024)
    return report("generate", fail(errc::invalid_argument, "--concurrency must be in [1, 1024]"));
  if (auto n = a.integer("tokens")) {
    if (*n < 1 || *n > budget_rules{}.max_budget)
      return report("generate", fail(errc::invalid_argument,
                                     "--tokens must be in [1, "
                                       + std::to_string(budget_rules{}.max_budget) + "]"));
    base.tokens = static_cast<int32_t>(*n);
  }
  if (auto k = a.integer("top-k"))
    base.top_k = static_cast<int32_t>(*k);
  if (auto n = a.integer("candidates")) {
    if (*n < 1 || *n > budget_rules{}.max_candidates)
      return report("generate", fail(errc::invalid_argument,
                                     "--candidates must be in [1, "
                                       + std::to_string(budget_rules{}.max_candidates) + "]"));
    base.candidates = static_cast<int32_t>(*n);
  }
  std::optional<uint64_t> seed = a.unsigned_integer("seed");
  // Request i gets S+i: all of them within the one unsigned 64-bit range, none wrapped to 0.
  if (seed && *seed > std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(count - 1))
    throw usage_error{"--seed " + std::to_string(*seed) + " with --count " + std::to_string(count)
                      + " goes past " + std::to_string(std::numeric_limits<uint64_t>::max())};
  // Refuse bad input before anything is opened, so nothing is written.
  if (auto ok = validate(base, budget_rules{}); !ok)
    return report("generate", ok.err());
  auto sess = open_session(a, true);
  if (!sess)
    return report("generate", sess.err());
  std::vector<generate_request> reqs;
  for (int64_t i = 0; i < count; ++i) {
    auto r = base;
    if (seed) {
      r.seed = *seed + static_cast<uint64_t>(i);
      r.has_seed = true;
    }
    reqs.push_back(std::move(r));
  }
  bool json = a.flag("json");
  auto failed = run_batch(
    (*sess)->system(), (*sess)->service(), std::move(reqs), static_cast<size_t>(concurrency),
    [json](const sonnet_reply& r) {
      if (json)
        std::cout << to_json(r).dump() << std::endl;
      else {
        print_sonnet(std::cout, r);
        std::cout << std::endl;
      }
    },
    [](size_t i, const caf::error& e) {
      std::cerr << "sonnet generate: request " << i << " failed: " << describe(e) << "\n";
    });
  return failed == 0 ? exit_ok : exit_error;
}

int cmd_query(const std::string& what, int argc, char** argv) {
  auto specs = read_only_query_options();
  std::string usage = "sonnet " + what + " [--db PATH] [--json]";
  std::string summary;
  if (what == "stats") {
    summary = "Prints the number of sonnets, their average quality and dissonance, and the\n"
              "vocabulary size (distinct first words of trigrams, as the prototype counts).";
  } else if (what == "recent") {
    specs.push_back({"limit", "N", "how many (default 10)"});
    usage += " [--limit N]";
    summary = "Prints the newest sonnets, newest first (ties broken by id).";
  } else if (what == "best") {
    specs.push_back({"limit", "N", "how many (default 10)"});
    specs.push_back({"min-quality", "Q", "lowest quality shown (default 0.7)"});
    usage += " [--limit N] [--min-quality Q]";
    summary = "Prints the best sonnets by quality.";
  } else {
    specs.push_back({"id", "N", "the sonnet's id"});
    usage += " --id N";
    summary = "Prints one sonnet.";
  }
  auto parsed = parse_command(argc, argv, usage, summary, specs);
  if (!parsed)
    return exit_ok;
  auto& a = *parsed;
  auto limit = a.integer("limit").value_or(10);
  if (limit < 1)
    return report(what, fail(errc::invalid_argument, "--limit must be >= 1"));
  auto min_quality = a.real("min-quality").value_or(0.7);
  if (!std::isfinite(min_quality))
    return report(what, fail(errc::invalid_argument, "--min-quality must be a finite number"));
  auto id = a.integer("id");
  if (what == "get" && !id)
    throw usage_error{"--id is required"};
  auto sess = open_session(a, false);
  if (!sess)
    return report(what, sess.err());
  caf::scoped_actor self{(*sess)->system()};
  auto svc = (*sess)->service();
  bool json = a.flag("json");
  int rc = exit_ok;
  auto on_error = [&](const caf::error& e) { rc = report(what, describe(e)); };
  auto print_list = [&](const std::vector<stored_sonnet>& xs) {
    for (auto& x : xs) {
      if (json) {
        std::cout << to_json(x).dump() << "\n";
        continue;
      }
      std::cout << "#" << x.id << "  quality " << show(x.quality) << "  dissonance "
                << show(x.dissonance) << "  by " << x.added_by << "\n"
                << x.text << "\n\n";
    }
  };
  if (what == "stats") {
    self->request(svc, client_timeout, atom::stats_v)
      .receive(
        [&](const cloud_stats& st) {
          if (json)
            std::cout << to_json(st).dump() << "\n";
          else
            std::cout << "sonnets         " << st.sonnet_count << "\n"
                      << "avg quality     " << st.avg_quality << "\n"
                      << "avg dissonance  " << st.avg_dissonance << "\n"
                      << "vocabulary      " << st.vocab_size << "\n";
        },
        on_error);
  } else if (what == "recent") {
    self->request(svc, client_timeout, atom::recent_v, int64_t{limit})
      .receive(print_list, on_error);
  } else if (what == "best") {
    self->request(svc, client_timeout, atom::best_v, int64_t{limit}, min_quality)
      .receive(print_list, on_error);
  } else {
    self->request(svc, client_timeout, atom::get_v, int64_t{*id})
      .receive([&](const stored_sonnet& x) { print_list({x}); }, on_error);
  }
  return rc;
}

int cmd_dissonance(int argc, char** argv) {
  std::vector<option_spec> specs{
    {"input", "TEXT", "the user's words to compare the sonnet with"},
    {"db", "PATH", "the sonnet cloud (default ./sonnets.db); opened read-only"},
    {"config", "FILE", "config file (key: db)"},
  };
  auto parsed = parse_command(
    argc, argv, "sonnet dissonance --input TEXT [--db PATH] < sonnet.txt",
    "Prints {\"dissonance\", \"pulse\"} of the sonnet on stdin against the cloud and the\n"
    "user's words, as JSON. Nothing is stored.",
    specs);
  if (!parsed)
    return exit_ok;
  auto& a = *parsed;
  auto input = a.str("input");
  if (!input)
    throw usage_error{"--input is required"};
  auto sonnet_text = read_stdin();
  auto sess = open_session(a, false);
  if (!sess)
    return report("dissonance", sess.err());
  caf::scoped_actor self{(*sess)->system()};
  int rc = exit_ok;
  self->request((*sess)->service(), client_timeout, atom::dissonance_v, *input, sonnet_text)
    .receive([](const judgement& j) { std::cout << to_json(j).dump() << "\n"; },
             [&](const caf::error& e) { rc = report("dissonance", describe(e)); });
  return rc;
}

} // namespace sonnet::cli
