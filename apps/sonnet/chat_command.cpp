// `sonnet chat`, the prototype's REPL, and the emergent layer's queries (`sonnet phase`,
// `sonnet brain`, `sonnet dream`). Chat takes its temperature from the phase system, as the
// prototype's REPL did, unless --temperature or --temperature-policy bands says otherwise.

#include <iostream>
#include <string>

#include "caf/all.hpp"

#include "actors/request_rules.hpp"
#include "apps/sonnet/commands.hpp"
#include "apps/sonnet/common.hpp"
#include "apps/sonnet/replies.hpp"
#include "apps/sonnet/session.hpp"
#include "messages/errors.hpp"
#include "messages/json.hpp"

namespace sonnet::cli {

namespace {

const char* chat_help = "/stats         cloud statistics\n"
                        "/recent        the 5 newest sonnets\n"
                        "/best          the 5 best sonnets\n"
                        "/phase         the phase and its temperatures\n"
                        "/brain [ID]    SonnetBrain's score and features of sonnet ID\n"
                        "/dream [MODE]  latent dreams of the newest sonnets: walk (default),\n"
                        "               drift, centroid\n"
                        "/quit          leave\n";

/// /dream's mode: the word after it, walk when there is none (as the prototype).
std::string dream_mode(const std::string& rest) {
  auto m = rest.substr(0, rest.find(' '));
  return m.empty() ? "walk" : m;
}

/// One REPL command (a line starting with '/'); false for /quit.
class chat_commands {
public:
  chat_commands(caf::scoped_actor& self, service_actor svc) : self_(self), svc_(std::move(svc)) {}

  bool run(const std::string& line) {
    auto word = line.substr(0, line.find(' '));
    auto rest = line.size() > word.size() ? line.substr(word.size() + 1) : std::string{};
    if (word == "/quit" || word == "/exit")
      return false;
    if (word == "/help")
      std::cout << chat_help;
    else if (word == "/stats")
      stats();
    else if (word == "/recent")
      ask<std::vector<stored_sonnet>>(atom::recent_v, int64_t{5});
    else if (word == "/best")
      ask<std::vector<stored_sonnet>>(atom::best_v, int64_t{5}, 0.7);
    else if (word == "/phase")
      ask<phase_info>(atom::phase_v);
    else if (word == "/brain")
      brain(rest);
    else if (word == "/dream")
      ask<std::vector<std::string>>(atom::dream_v, dream_mode(rest));
    else
      std::cout << "Unknown command " << word << " (try /help)\n";
    return true;
  }

  /// After a sonnet: where the phase went (the prototype printed it each turn).
  void after_sonnet() {
    self_->request(svc_, client_timeout, atom::phase_v)
      .receive(
        [](const phase_info& p) {
          std::cout << "Phase: " << p.phase << " (next temperature " << p.temperature_sonnet
                    << ")\n";
        },
        [](const caf::error&) {}); // without the emergent layer: nothing to say
  }

private:
  template <class T, class... Ts>
  void ask(Ts... xs) {
    self_->request(svc_, client_timeout, xs...)
      .receive([](const T& x) { print(x); },
               [](const caf::error& e) { std::cout << "error: " << describe(e) << "\n"; });
  }

  void stats() {
    self_->request(svc_, client_timeout, atom::stats_v)
      .receive(
        [](const cloud_stats& st) {
          std::cout << "sonnets " << st.sonnet_count << ", avg quality " << st.avg_quality
                    << ", avg dissonance " << st.avg_dissonance << ", vocabulary "
                    << st.vocab_size << "\n";
        },
        [](const caf::error& e) { std::cout << "error: " << describe(e) << "\n"; });
  }

  void brain(const std::string& arg) {
    if (arg.empty())
      return ask<brain_report>(atom::brain_v, int64_t{0});
    auto id = std::strtoll(arg.c_str(), nullptr, 10);
    if (id <= 0 || arg.find_first_not_of("0123456789 ") != std::string::npos) {
      std::cout << "  Invalid sonnet ID\n";
      return;
    }
    ask<brain_report>(atom::brain_v, int64_t{id});
  }

  static void print(const std::vector<stored_sonnet>& xs) {
    if (xs.empty())
      std::cout << "(none)\n";
    for (auto& x : xs) {
      auto first = x.text.substr(0, x.text.find('\n'));
      std::cout << "#" << x.id << " (quality " << show(x.quality) << ", by " << x.added_by
                << "): " << first << "\n";
    }
  }
  static void print(const phase_info& p) { std::cout << render_phase(p); }
  static void print(const brain_report& b) { std::cout << render_brain(b); }
  static void print(const std::vector<std::string>& lines) {
    for (auto& l : lines)
      std::cout << l << "\n";
  }

  caf::scoped_actor& self_;
  service_actor svc_;
};

} // namespace

int cmd_chat(int argc, char** argv) {
  auto specs =
    std::vector<option_spec>{
      {"db", "PATH", "the sonnet cloud (default ./sonnets.db)"},
      {"temperature", "T", "fixed temperature (default: the phase's, see /phase)"},
      {"temperature-policy", "P",
       "phases (default: the phase system's temperature, as the prototype's REPL) or bands "
       "(adapted from the last dissonance)"},
      {"top-k", "K", "sample among the K likeliest characters (0 = all)"},
      {"background", "on|off",
       "MetaSonnet's reflections and Overthinkng's variations after each sonnet, stored in the "
       "cloud (default on; with --connect the daemon's config decides)"},
    }
    + model_options();
  auto parsed =
    parse_command(argc, argv, "sonnet chat [--db PATH] [model options]",
                  "An interactive session: each line you type becomes a sonnet.\n"
                  "Commands: /stats, /recent, /best, /phase, /brain [ID], /dream [MODE], /help,\n"
                  "/quit.",
                  specs);
  if (!parsed)
    return exit_ok;
  auto& a = *parsed;
  generate_request base;
  base.temperature_policy = static_cast<int32_t>(temperature_policy::phases);
  if (auto p = a.str("temperature-policy"))
    base.temperature_policy = static_cast<int32_t>(parse_temperature_policy(*p));
  if (auto t = a.real("temperature")) {
    base.temperature = *t;
    base.has_temperature = true;
  }
  if (auto k = a.integer("top-k"))
    base.top_k = static_cast<int32_t>(*k);
  if (auto ok = validate(base, budget_rules{}); !ok)
    return report("chat", ok.err());
  auto background = a.str("background").value_or("on");
  if (background != "on" && background != "off")
    throw usage_error{"--background must be on or off, got '" + background + "'"};
  auto sess = open_session(a, true, background == "on");
  if (!sess)
    return report("chat", sess.err());
  caf::scoped_actor self{(*sess)->system()};
  auto svc = (*sess)->service();
  chat_commands commands{self, svc};
  std::cout << "Sonnet chat. Type words and get a sonnet; /help for commands." << std::endl;
  std::string line;
  while (true) {
    std::cout << "You: " << std::flush;
    if (!std::getline(std::cin, line))
      break; // end of input (Ctrl-D) ends the session like /quit
    auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos)
      continue;
    line = line.substr(b, line.find_last_not_of(" \t\r") - b + 1);
    if (line[0] == '/') {
      if (!commands.run(line))
        break;
      continue;
    }
    auto req = base;
    req.prompt = line;
    bool stored = false;
    self->request(svc, client_timeout, atom::generate_v, req)
      .receive(
        [&](const sonnet_reply& r) {
          print_sonnet(std::cout, r);
          stored = true;
        },
        [](const caf::error& e) { std::cout << "error: " << describe(e) << "\n"; });
    if (stored)
      commands.after_sonnet();
  }
  std::cout << std::endl;
  return exit_ok;
}

int cmd_emergent(const std::string& what, int argc, char** argv) {
  auto specs = read_only_query_options();
  std::string usage = "sonnet " + what + " [--db PATH]";
  std::string summary;
  if (what == "phase") {
    summary = "Prints the phase system's state (chat's /phase).";
    usage += " [--json]";
  } else if (what == "brain") {
    specs.push_back({"id", "N", "the sonnet (default: the brain's counters only)"});
    summary = "Prints SonnetBrain's score and features of a stored sonnet (chat's /brain).";
    usage += " [--id N] [--json]";
  } else {
    specs.erase(specs.begin() + 1); // no JSON form: the lines are the output
    specs.push_back({"mode", "M", "walk (default), drift or centroid"});
    summary = "Dreams over the 5 newest sonnets (chat's /dream).";
    usage += " [--mode M]";
  }
  auto parsed = parse_command(argc, argv, usage, summary, specs);
  if (!parsed)
    return exit_ok;
  auto& a = *parsed;
  auto id = a.integer("id").value_or(0);
  if (id < 0)
    return report(what, fail(errc::invalid_argument, "--id must be >= 1"));
  auto sess = open_session(a, false);
  if (!sess)
    return report(what, sess.err());
  caf::scoped_actor self{(*sess)->system()};
  auto svc = (*sess)->service();
  bool json = what != "dream" && a.flag("json");
  int rc = exit_ok;
  auto on_error = [&](const caf::error& e) { rc = report(what, describe(e)); };
  if (what == "phase") {
    self->request(svc, client_timeout, atom::phase_v)
      .receive(
        [&](const phase_info& p) {
          std::cout << (json ? to_json(p).dump() + "\n" : render_phase(p));
        },
        on_error);
  } else if (what == "brain") {
    self->request(svc, client_timeout, atom::brain_v, int64_t{id})
      .receive(
        [&](const brain_report& b) {
          std::cout << (json ? to_json(b).dump() + "\n" : render_brain(b));
        },
        on_error);
  } else {
    self->request(svc, client_timeout, atom::dream_v, a.str("mode").value_or("walk"))
      .receive(
        [&](const std::vector<std::string>& lines) {
          for (auto& l : lines)
            std::cout << l << "\n";
        },
        on_error);
  }
  return rc;
}

} // namespace sonnet::cli
