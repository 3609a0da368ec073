// sonnetd's CAF port against hostile peers (net/caf_guard.hpp): lying BASP headers, silent
// connections, floods of half-open handshakes, and a descriptor limit. Every case checks that
// a real `sonnet --connect` client is still served afterwards.
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <fstream>
#include <sstream>

#include "tests/reliability/common.hpp"

namespace utf = boost::unit_test;
using namespace sonnet;
using namespace sonnet::test;
using namespace std::chrono_literals;

namespace {

/// A kB figure from /proc/PID/status ("VmRSS", "VmHWM").
long status_kb(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0)
      return std::stol(line.substr(key.size() + 1));
  return -1;
}

/// utime + stime of a process, in seconds.
double cpu_seconds(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto rest = text.substr(text.rfind(')') + 2); // the name may hold spaces
  std::istringstream in(rest);
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14)
      utime = std::stol(field);
    if (i == 15)
      stime = std::stol(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// A raw TCP connection to the CAF port.
struct raw_conn {
  int fd = -1;
  explicit raw_conn(uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  raw_conn(const raw_conn&) = delete;
  raw_conn& operator=(const raw_conn&) = delete;
  ~raw_conn() {
    if (fd >= 0)
      ::close(fd);
  }
  bool send(const std::string& bytes) const {
    return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL)
           == static_cast<ssize_t>(bytes.size());
  }
  /// True once the other side closed (EOF or reset) within `timeout`; whatever it sent first
  /// (CAF's server handshake) is read and dropped.
  bool closed_within(std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return false;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        continue;
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0)
        return true;
    }
  }
};

/// A BASP header as CAF 0.17 writes it: operation, two padding bytes, flags, then payload
/// length, operation data, source and destination actor, all big-endian.
std::string basp_header(uint8_t op, uint32_t payload_len) {
  std::string h(32, '\0');
  h[0] = static_cast<char>(op);
  for (int i = 0; i < 4; ++i)
    h[4 + i] = static_cast<char>((payload_len >> (8 * (3 - i))) & 0xff);
  return h;
}

struct hostile_fixture : workspace {
  process* d = nullptr;
  std::string addr;
  uint16_t port = 0;

  void daemon(std::vector<std::string> extra = {}, const std::string& prefix = {}) {
    std::vector<std::string> argv;
    std::string cmd =
      std::string{SONNETD} + " --port=0 --db=" + file("h.db") + " --model=" + default_model;
    for (auto& x : extra)
      cmd += " " + x;
    if (prefix.empty())
      argv = {"/bin/sh", "-c", "exec " + cmd};
    else
      argv = {"/bin/sh", "-c", prefix + " && exec " + cmd};
    d = &start(argv);
    auto a = d->wait_for("listening on ([0-9.]+:[0-9]+)", 60s);
    BOOST_REQUIRE_MESSAGE(a, "sonnetd did not start: " << d->output());
    addr = *a;
    port = static_cast<uint16_t>(std::stoi(addr.substr(addr.find(':') + 1)));
  }

  /// A real client's round trip (stats over CAF).
  void served(const std::string& when) {
    auto& c = start({SONNET_CLI, "--connect=" + addr, "stats", "--json"});
    auto rc = code(c.wait(30s));
    BOOST_TEST(rc == 0,
               when << ": exit " << rc << ": " << c.output() << " daemon: " << d->output());
    BOOST_TEST(c.output().find("\"sonnet_count\"") != std::string::npos);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(hostile_peers, hostile_fixture)

BOOST_AUTO_TEST_CASE(a_header_claiming_4_gb_is_refused_and_memory_stays_bounded) {
  daemon();
  served("before");
  auto base = status_kb(d->pid(), "VmHWM");
  // Six peers, each one 32-byte packet claiming a 4 GB client handshake: before the guard,
  // CAF reserved (and zero-filled) the whole payload buffer for each.
  std::vector<std::unique_ptr<raw_conn>> peers;
  for (int i = 0; i < 6; ++i) {
    peers.push_back(std::make_unique<raw_conn>(port));
    BOOST_REQUIRE(peers.back()->fd >= 0);
    BOOST_REQUIRE(peers.back()->send(basp_header(1, 0xffffffffu)));
  }
  for (auto& p : peers)
    BOOST_TEST(p->closed_within(3s));
  // Also after a small, well-formed prefix, and just above the handshake bound (64 KiB).
  raw_conn big(port);
  BOOST_REQUIRE(big.send(basp_header(1, 64 * 1024 + 1)));
  BOOST_TEST(big.closed_within(3s));
  raw_conn wrong_first(port);
  BOOST_REQUIRE(wrong_first.send(basp_header(2, 16))); // a message before the handshake
  BOOST_TEST(wrong_first.closed_within(3s));
  std::this_thread::sleep_for(500ms);
  auto after = status_kb(d->pid(), "VmHWM");
  BOOST_TEST_MESSAGE("VmHWM before " << base << " kB, after the attack " << after << " kB");
  BOOST_TEST(after - base < 64 * 1024, "peak RSS grew by " << (after - base) << " kB");
  BOOST_TEST(d->running());
  served("after");
  BOOST_TEST(d->output().find("BASP header out of bounds") != std::string::npos, d->output());
}

BOOST_AUTO_TEST_CASE(silent_connections_are_closed_after_the_handshake_deadline) {
  daemon({"--handshake-timeout=1s"});
  auto t0 = std::chrono::steady_clock::now();
  raw_conn silent(port);
  raw_conn partial(port);
  BOOST_REQUIRE(partial.send(std::string(10, '\0'))); // a third of a header, then nothing
  BOOST_TEST(silent.closed_within(4s));
  BOOST_TEST(partial.closed_within(4s));
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  BOOST_TEST_MESSAGE("closed after " << took << " s");
  BOOST_TEST(took >= 0.8);
  served("after");
}

BOOST_AUTO_TEST_CASE(pending_connections_beyond_the_cap_are_closed) {
  daemon({"--max-pending-connections=4", "--handshake-timeout=60s"});
  std::vector<std::unique_ptr<raw_conn>> idle;
  for (int i = 0; i < 10; ++i) {
    idle.push_back(std::make_unique<raw_conn>(port));
    BOOST_REQUIRE(idle.back()->fd >= 0);
    std::this_thread::sleep_for(20ms); // in order, so that "oldest" is well defined
  }
  // The six oldest go at once, long before the deadline; the newest four stay.
  for (size_t i = 0; i < 6; ++i)
    BOOST_TEST(idle[i]->closed_within(2s), "connection " << i);
  for (size_t i = 6; i < 10; ++i)
    BOOST_TEST(!idle[i]->closed_within(200ms), "connection " << i);
  // A real client still gets through: it takes the slot of the oldest idle one.
  served("with the pending slots full");
}

BOOST_AUTO_TEST_CASE(running_out_of_descriptors_does_not_spin, *utf::timeout(120)) {
  // Few descriptors: the guard's share is small and connections beyond it are shed.
  daemon({"--max-pending-connections=1000"}, "ulimit -n 64");
  std::vector<std::unique_ptr<raw_conn>> flood;
  for (int i = 0; i < 200; ++i)
    flood.push_back(std::make_unique<raw_conn>(port));
  std::this_thread::sleep_for(500ms);
  auto c0 = cpu_seconds(d->pid());
  std::this_thread::sleep_for(2s);
  auto used = cpu_seconds(d->pid()) - c0;
  BOOST_TEST_MESSAGE("CPU with 200 connections at 64 descriptors: " << used << " s in 2 s");
  BOOST_TEST(used < 0.5);
  BOOST_TEST(d->running());
  flood.clear();
  std::this_thread::sleep_for(300ms);
  served("after the flood");
}

BOOST_AUTO_TEST_CASE(with_tls_the_deadline_holds_and_certified_clients_stay, *utf::timeout(120)) {
  // The guard sees TLS records only: it keeps the deadline, the pending cap and the record
  // size; the TLS handshake (with a CA file) is the authentication.
  auto sh = [&](const std::string& cmd) {
    auto& p = start({"/bin/sh", "-c", "cd " + dir.string() + " && " + cmd});
    return code(p.wait(60s));
  };
  if (sh("openssl version") != 0) {
    BOOST_TEST_MESSAGE("skipped: the openssl command is missing");
    return;
  }
  // A CA and one node certificate (node.pem, node.key, ca.pem), as a deployment makes them.
  BOOST_REQUIRE(sh("bash " SONNET_SOURCE_DIR "/scripts/cluster_certs.sh . node=127.0.0.1") == 0);
  daemon({"--handshake-timeout=1s", "--openssl.certificate=" + file("node.pem"),
          "--openssl.key=" + file("node.key"), "--openssl.cafile=" + file("ca.pem")});
  raw_conn silent(port);
  raw_conn lying(port);
  BOOST_REQUIRE(lying.send(basp_header(1, 0xffffffffu))); // not a TLS record
  BOOST_TEST(lying.closed_within(2s));
  BOOST_TEST(silent.closed_within(4s));
  // A client with the cluster's certificate keeps its connection past the deadline.
  auto env = "SONNET_TLS_CERT=" + file("node.pem") + " SONNET_TLS_KEY=" + file("node.key")
             + " SONNET_TLS_CA=" + file("ca.pem") + " ";
  auto& chat = start({"/bin/sh", "-c",
                      "(printf '/stats\\n'; sleep 2; printf '/stats\\n/quit\\n') | " + env
                        + SONNET_CLI + " --connect=" + addr + " chat"});
  BOOST_TEST(code(chat.wait(30s)) == 0, chat.output());
  BOOST_TEST(chat.count("sonnets 0") == 2u, chat.output());
}

BOOST_AUTO_TEST_SUITE_END()
