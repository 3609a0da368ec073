#include "apps/sonnetd/config.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <sstream>

#include "caf/all.hpp"

#include "actors/service.hpp"
#include "core/regular_file.hpp"
#include "messages/register.hpp"

namespace sonnet::daemon {

config::config() {
  opt_group{custom_options_, "global"}
    .add(role, "role", "standalone | front | worker")
    .add(port, "port", "TCP port to publish on (0 = pick a free one)")
    .add(bind, "bind", "address to listen on (default 127.0.0.1)")
    .add(db, "db", "the sonnet cloud (standalone and front)")
    .add(model, "model",
         "NanoGPT .npz checkpoint (standalone and worker; default: "
         "$SONNET_MODEL, else the default model, found as `sonnet info` shows)")
    .add(workers, "workers", "worker nodes of a front node: HOST:PORT[,HOST:PORT...]")
    .add(model_actors, "model-actors", "model actors of a standalone or worker node")
    .add(max_sequences, "max-sequences",
         "sequences decoded at once; more wait their turn (default 64)")
    .add(cluster_key, "cluster-key", "shared key of one cluster (refuses other nodes)")
    .add(emergent, "emergent",
         "the emergent layer: brain score in every reply, phases, /dream: on (default) or off")
    .add(temperature_policy, "temperature-policy",
         "bands (default: from the last dissonance) or phases (the phase system's)")
    .add(metasonnet, "metasonnet",
         "MetaSonnet's reflections after user sonnets, stored in the cloud: on or off (default)")
    .add(overthinkng, "overthinkng",
         "Overthinkng's variations of user sonnets, stored in the cloud: on or off (default)")
    .add(brain_init, "brain-init",
         "a sonnetbrain.json to start the brain from when DB.brain.json does not exist yet")
    .add(emergent_seed, "emergent-seed",
         "seeds fresh brain weights, dream encoders and PLASMA draws (default 18)")
    .add(drain_timeout, "drain-timeout", "how long SIGTERM waits for requests in flight")
    .add(http_port, "http-port", "HTTP/JSON API: off (default), auto (a free port) or PORT")
    .add(http_bind, "http-bind", "address of the HTTP API (default: the same as bind)")
    .add(http_max_in_flight, "http-max-in-flight",
         "HTTP API calls in flight at once; more get 429 (default 64)")
    .add(http_request_timeout, "http-request-timeout",
         "how long an HTTP API call may wait for the service; then 504 (default 5min)")
    .add(http_max_connections, "http-max-connections",
         "HTTP connections open at once; more get 503 (default 4096)")
    .add(http_max_connections_per_address, "http-max-connections-per-address",
         "HTTP connections open at once from one client address; more get 503 (default 32)")
    .add(http_head_timeout, "http-head-timeout",
         "deadline for an HTTP request's head, keep-alive idle included (default 10s)")
    .add(http_body_timeout, "http-body-timeout",
         "deadline for an HTTP request's body once its head is in (default 30s)")
    .add(http_unacked_timeout, "http-unacked-timeout",
         "a client that leaves sent data unacknowledged this long is gone, its request "
         "cancelled (TCP_USER_TIMEOUT; default 15s)")
    .add(handshake_timeout, "handshake-timeout",
         "CAF port: close connections still in their handshake after this (default 5s)")
    .add(max_pending_connections, "max-pending-connections",
         "CAF port: connections in their handshake at once; more close the oldest (default 64)")
    .add(max_message_size, "max-message-size",
         "CAF port: largest message a peer may send, in bytes (default 1 MiB)");
  register_types(*this);
  // Without heartbeats a hung (stopped) peer is never noticed; with them a silent node is
  // cut after connection-timeout (enforced by net/, see take_link_timeout).
  set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds(250)});
  set("middleman.connection-timeout", caf::timespan{std::chrono::seconds(2)});
  configure_scheduler(*this);
}

std::chrono::milliseconds take_link_timeout(config& cfg) {
  auto t = caf::get_or(cfg, "middleman.connection-timeout", caf::timespan{std::chrono::seconds(2)});
  cfg.set("middleman.connection-timeout", caf::timespan{0});
  return std::chrono::duration_cast<std::chrono::milliseconds>(t);
}

std::vector<std::string> worker_list(const config& cfg) {
  std::vector<std::string> out;
  std::stringstream in(cfg.workers);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty())
      out.push_back(item);
  return out;
}

std::optional<uint16_t> http_port(const config& cfg) {
  const auto& p = cfg.http_port;
  if (p.empty() || p == "off" || p == "0")
    return std::nullopt;
  if (p == "auto")
    return uint16_t{0};
  if (p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  auto n = std::stoul(p);
  if (n < 1 || n > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(n);
}

namespace {

// True when `host` names an address to listen on (numeric, or a name the resolver knows).
// Checked before anything is opened, so a typo never leaves a fresh database behind.
bool resolvable(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (res)
    ::freeaddrinfo(res);
  return rc == 0;
}

} // namespace

std::string config::check_file() const {
  if (config_file_path.empty())
    return {};
  auto bytes = read_regular_file(config_file_path, errc::invalid_argument, std::size_t{1} << 20);
  if (!bytes) {
    // CAF's default file (caf-application.ini) is optional; a named missing file was refused.
    if (::access(config_file_path.c_str(), F_OK) != 0 && errno == ENOENT)
      return {};
    return "cannot read config file " + bytes.err().message;
  }
  // Parsed again without an option set: every key with its value as written.
  std::istringstream in(std::string(bytes->begin(), bytes->end()));
  auto parsed = caf::actor_system_config::parse_config(in);
  if (!parsed)
    return "bad configuration: " + caf::to_string(parsed.error());
  const std::string where = "config file " + config_file_path + ": ";
  auto one = [&](const std::string& category, const std::string& key,
                 const caf::config_value& value) -> std::string {
    const std::string name = category == "global" ? key : category + "." + key;
    auto opt = custom_options_.qualified_name_lookup(category, key);
    if (opt == nullptr)
      return where + "unknown key '" + name + "'";
    if (opt->check(value)) {
      const auto type = opt->type_name();
      const std::string expected(type.begin(), type.end());
      return where + "key '" + name + "' expects a " + expected + ", got " + caf::to_string(value)
             + (expected == "string" ? " (quote the value)" : "");
    }
    return {};
  };
  using dictionary = caf::config_value::dictionary;
  for (const auto& [key, value] : *parsed) {
    const auto* section = caf::get_if<dictionary>(&value);
    if (section == nullptr) {
      if (auto problem = one("global", key, value); !problem.empty())
        return problem;
      continue;
    }
    for (const auto& [sub, v] : *section)
      if (auto problem = one(key, sub, v); !problem.empty())
        return problem;
  }
  return {};
}

std::string check(const config& cfg) {
  if (auto problem = cfg.check_file(); !problem.empty())
    return problem;
  if (cfg.role != "standalone" && cfg.role != "front" && cfg.role != "worker")
    return "--role must be standalone, front or worker, got '" + cfg.role + "'";
  for (auto [name, value] : {std::pair<const char*, const std::string*>{"emergent", &cfg.emergent},
                              {"metasonnet", &cfg.metasonnet},
                              {"overthinkng", &cfg.overthinkng}})
    if (*value != "on" && *value != "off")
      return std::string("--") + name + " must be on or off, got '" + *value + "'";
  if (cfg.temperature_policy != "bands" && cfg.temperature_policy != "phases")
    return "--temperature-policy must be bands or phases, got '" + cfg.temperature_policy + "'";
  if (cfg.emergent_seed < 0)
    return "--emergent-seed must be >= 0";
  if (cfg.role == "front" && worker_list(cfg).empty())
    return "a front node needs --workers=HOST:PORT[,HOST:PORT...]";
  if (cfg.role != "front" && !cfg.workers.empty())
    return "--workers is only for --role=front";
  if (cfg.model_actors < 1 || cfg.model_actors > 64)
    return "--model-actors must be in [1, 64]";
  if (cfg.max_sequences < 1 || cfg.max_sequences > 65536)
    return "--max-sequences must be in [1, 65536]";
  if (cfg.bind.empty())
    return "--bind must not be empty";
  if (!resolvable(cfg.bind))
    return "--bind: '" + cfg.bind + "' is not an address this host can listen on";
  if (!cfg.http_bind.empty() && !resolvable(cfg.http_bind))
    return "--http-bind: '" + cfg.http_bind + "' is not an address this host can listen on";
  const auto& hp = cfg.http_port;
  if (!(hp.empty() || hp == "off" || hp == "0") && !http_port(cfg))
    return "--http-port must be off, auto or a port in [1, 65535], got '" + hp + "'";
  if (http_port(cfg) && cfg.role == "worker")
    return "--http-port is for standalone and front nodes, not workers";
  if (cfg.http_max_in_flight < 1 || cfg.http_max_in_flight > 100000)
    return "--http-max-in-flight must be in [1, 100000]";
  if (cfg.http_request_timeout <= caf::timespan{0})
    return "--http-request-timeout must be positive";
  if (cfg.http_max_connections < 1 || cfg.http_max_connections > 1000000)
    return "--http-max-connections must be in [1, 1000000]";
  if (cfg.http_max_connections_per_address < 1 || cfg.http_max_connections_per_address > 1000000)
    return "--http-max-connections-per-address must be in [1, 1000000]";
  if (cfg.http_head_timeout <= caf::timespan{0} || cfg.http_body_timeout <= caf::timespan{0})
    return "--http-head-timeout and --http-body-timeout must be positive";
  if (cfg.drain_timeout < caf::timespan{0})
    return "--drain-timeout must not be negative";
  // CAF would tell peers to connect to its own (loopback) port instead of the guard's.
  if (caf::get_or(cfg, "middleman.enable-automatic-connections", false))
    return "middleman.enable-automatic-connections is not supported (peers must connect "
           "through the guard on --bind:--port)";
  if (cfg.handshake_timeout <= caf::timespan{0})
    return "--handshake-timeout must be positive";
  if (cfg.max_pending_connections < 1 || cfg.max_pending_connections > 100000)
    return "--max-pending-connections must be in [1, 100000]";
  if (cfg.max_message_size < (64 << 10) || cfg.max_message_size > (1 << 30))
    return "--max-message-size must be in [65536, 1073741824]";
  return {};
}

} // namespace sonnet::daemon
