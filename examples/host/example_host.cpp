// An example host program: it owns its own caf::actor_system and embeds the sonnet service
// with one call. Usage: example_host DB_PATH [PROMPT]
// The model is $SONNET_MODEL, else the default model of the package it was built against
// (CMakeLists.txt passes its data directory), else the one core/paths.hpp finds.
// Prints the sonnet and the cloud's size, then shuts the service down.
// Built in the tree (apps/CMakeLists.txt) and, by tests/install, as a project of its own against
// the installed package (CMakeLists.txt beside this file).

#include <cstdlib>
#include <iostream>

#include "caf/all.hpp"

#include "actors/service.hpp"
#include "core/paths.hpp"
#include "messages/errors.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: example_host DB_PATH [PROMPT]\n";
    return 2;
  }
#ifdef SONNET_ACTORS_DATA_DIR // the installed package this host was built against
  sonnet::paths::set_data_dir(SONNET_ACTORS_DATA_DIR);
#endif
  caf::actor_system_config cfg;
  sonnet::register_types(cfg);
  caf::actor_system sys{cfg};

  sonnet::service_config sc;
  const char* model = std::getenv("SONNET_MODEL");
  sc.model_path = model && *model ? model : sonnet::paths::default_model().path;
  sc.db_path = argv[1];
  std::cerr << "example_host: model " << sc.model_path << "\n";
  auto service = sonnet::spawn_service(sys, sc);
  if (!service) {
    std::cerr << "cannot start the sonnet service: " << sonnet::from_caf(service.error()).message
              << "\n";
    return 1;
  }

  sonnet::generate_request req;
  req.prompt = argc > 2 ? argv[2] : "";
  req.seed = 7;
  req.has_seed = true;
  int rc = 0;
  caf::scoped_actor self{sys};
  self->request(*service, std::chrono::seconds(600), sonnet::atom::generate_v, req)
    .receive(
      [&](const sonnet::sonnet_reply& r) {
        for (auto& line : r.lines)
          std::cout << line << "\n";
        std::cout << "id " << r.id << " dissonance " << r.dissonance << "\n";
      },
      [&](const caf::error& e) {
        std::cerr << "generate failed: " << sonnet::from_caf(e).message << "\n";
        rc = 1;
      });
  self->request(*service, std::chrono::seconds(30), sonnet::atom::stats_v)
    .receive([&](const sonnet::cloud_stats& s) { std::cout << "cloud " << s.sonnet_count << "\n"; },
             [&](const caf::error&) { rc = 1; });
  caf::anon_send_exit(*service, caf::exit_reason::user_shutdown);
  return rc;
}
