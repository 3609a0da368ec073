// An example host program: it owns its own caf::actor_system and embeds the sonnet service
// with one call. Usage: example_host MODEL.npz DB_PATH [PROMPT]
// Prints the sonnet and the cloud's size, then shuts the service down.

#include <iostream>

#include "caf/all.hpp"

#include "actors/service.hpp"
#include "messages/errors.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: example_host MODEL.npz DB_PATH [PROMPT]\n";
    return 2;
  }
  caf::actor_system_config cfg;
  sonnet::register_types(cfg);
  caf::actor_system sys{cfg};

  sonnet::service_config sc;
  sc.model_path = argv[1];
  sc.db_path = argv[2];
  auto service = sonnet::spawn_service(sys, sc);
  if (!service) {
    std::cerr << "cannot start the sonnet service: " << sonnet::from_caf(service.error()).message
              << "\n";
    return 1;
  }

  sonnet::generate_request req;
  req.prompt = argc > 3 ? argv[3] : "";
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
