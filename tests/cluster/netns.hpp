#pragma once
// Network namespaces for cluster tests: nodes talk over real interfaces instead of loopback.
// A bridge in the root namespace is the switch (the test and its fault proxies live there, on
// the bridge's address); each node gets a namespace of its own with a veth pair to the
// bridge. A partition takes the node's bridge port down: its packets are dropped in silence,
// no RST, exactly as behind a failed switch. Needs root and `ip`; make() says why not.
// Addresses come from 198.18.0.0/15 (RFC 2544, reserved for benchmarks), one /24 per lab.

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace sonnet::test {

class netns_lab {
public:
  /// A lab, or null with `why` set when this machine cannot make one.
  static std::unique_ptr<netns_lab> make(std::string& why) {
    if (::geteuid() != 0) {
      why = "network namespaces need root";
      return nullptr;
    }
    if (ip_path().empty()) {
      why = "no `ip` command (iproute2)";
      return nullptr;
    }
    std::unique_ptr<netns_lab> lab{new netns_lab};
    if (!lab->ip("link add " + lab->bridge_ + " type bridge")
        || !lab->ip("addr add " + lab->bridge_address() + "/24 dev " + lab->bridge_)
        || !lab->ip("link set " + lab->bridge_ + " up")) {
      why = "cannot make a bridge (ip link add type bridge failed)";
      return nullptr;
    }
    return lab;
  }

  ~netns_lab() {
    for (auto& [name, k] : nodes_) {
      ip("netns del " + ns(name));
      ip("link del " + veth(k));
    }
    ip("link del " + bridge_);
  }
  netns_lab(const netns_lab&) = delete;
  netns_lab& operator=(const netns_lab&) = delete;

  /// Where the root namespace (the test, fault proxies) is reached from the nodes.
  std::string bridge_address() const { return subnet_ + ".1"; }

  /// Makes a node's namespace and link; returns its address.
  std::string add(const std::string& name) {
    int k = static_cast<int>(nodes_.size()) + 2;
    nodes_[name] = k;
    auto n = ns(name), v = veth(k);
    bool ok = ip("netns add " + n) && ip("link add " + v + " type veth peer name eth0 netns " + n)
              && ip("link set " + v + " master " + bridge_ + " up")
              && ip("-n " + n + " addr add " + address(name) + "/24 dev eth0")
              && ip("-n " + n + " link set eth0 up") && ip("-n " + n + " link set lo up");
    if (!ok)
      throw std::runtime_error("cannot make namespace " + n);
    return address(name);
  }

  std::string address(const std::string& name) const {
    return subnet_ + "." + std::to_string(nodes_.at(name));
  }

  /// argv run inside the node's namespace.
  std::vector<std::string> in(const std::string& name, std::vector<std::string> argv) const {
    std::vector<std::string> out{ip_path(), "netns", "exec", ns(name)};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
  }

  /// Partition: the node's switch port goes down (both directions dropped, no RST).
  void cut(const std::string& name) { ip("link set " + veth(nodes_.at(name)) + " down"); }
  void heal(const std::string& name) { ip("link set " + veth(nodes_.at(name)) + " up"); }

private:
  netns_lab() {
    auto id = static_cast<unsigned>(::getpid());
    tag_ = std::to_string(id % 100000);
    subnet_ = "198." + std::to_string(18 + (id >> 8) % 2) + "." + std::to_string(id % 256);
    bridge_ = "sab" + tag_;
  }

  static std::string ip_path() {
    for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
      if (::access(p, X_OK) == 0)
        return p;
    return {};
  }

  /// Runs `ip ARGS`; true on success.
  bool ip(const std::string& args) const {
    return std::system((ip_path() + " " + args + " 2>/dev/null").c_str()) == 0;
  }

  std::string ns(const std::string& name) const { return "sa" + tag_ + "-" + name; }
  std::string veth(int k) const { return "sav" + tag_ + "x" + std::to_string(k); }

  std::string tag_;
  std::string subnet_;
  std::string bridge_;
  std::map<std::string, int> nodes_;
};

} // namespace sonnet::test
