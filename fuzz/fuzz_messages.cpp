// libFuzzer: CAF 0.17's binary_deserializer on arbitrary bytes into every message type that
// crosses the network (what a peer node or client can send). The first byte picks the type.
#include <cstdint>
#include <string>
#include <vector>

#include "caf/binary_deserializer.hpp"

#include "messages/type_ids.hpp"
#include "messages/types.hpp"

namespace {

template <class T>
void one(const char* data, std::size_t size) {
  T x;
  caf::binary_deserializer src(nullptr, data, size);
  (void)src(x);
  // Not re-serialized: bytes can decode to an infinite or NaN double, and CAF 0.17's pack754
  // loops forever writing one (found by this fuzzer; see fuzz/README.md). Our own senders
  // validate doubles first (messages/types.hpp), so only the decoding side is fuzzed here.
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  auto p = reinterpret_cast<const char*>(data) + 1;
  auto n = size - 1;
  switch (data[0] % 13) {
  case 0:
    one<sonnet::generate_request>(p, n);
    break;
  case 1:
    one<sonnet::sonnet_reply>(p, n);
    break;
  case 2:
    one<sonnet::continue_request>(p, n);
    break;
  case 3:
    one<sonnet::continuation>(p, n);
    break;
  case 4:
    one<sonnet::formatted>(p, n);
    break;
  case 5:
    one<sonnet::judge_request>(p, n);
    break;
  case 6:
    one<sonnet::judged>(p, n);
    break;
  case 7:
    one<sonnet::store_request>(p, n);
    break;
  case 8:
    one<sonnet::stored_sonnet>(p, n);
    break;
  case 9:
    one<sonnet::cloud_stats>(p, n);
    break;
  case 10:
    one<std::vector<sonnet::stored_sonnet>>(p, n);
    break;
  case 12:
    one<std::vector<sonnet::store_request>>(p, n);
    break;
  default:
    one<std::vector<std::string>>(p, n);
    break;
  }
  return 0;
}
