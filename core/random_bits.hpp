#pragma once
// Fixed mappings from random bits to the numbers the system draws. The standard library's
// distributions are each implementation's choice; these are not, so a seed replays the same
// numbers anywhere (sampling, PLASMA draws, the emergent layer's choices, fresh weights).

#include <cstdint>

namespace sonnet {

/// splitmix64's increment (2^64 / golden ratio).
inline constexpr std::uint64_t splitmix64_gamma = 0x9E3779B97F4A7C15ull;

/// splitmix64's output mix (Steele, Lea, Flood): a bijection of 64-bit words whose outputs for
/// neighbouring inputs look unrelated; keys derived seeds and one-off draws.
constexpr std::uint64_t splitmix64_mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// The top 53 bits of `bits` as a double uniform in [0, 1).
constexpr double unit_from_bits(std::uint64_t bits) {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

} // namespace sonnet
