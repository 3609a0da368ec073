// libFuzzer: Unicode helpers, dissonance and trigrams (text/), and the model vocabulary's
// encode/decode, on arbitrary bytes. The input is split at the first NUL into a user prompt
// and a sonnet.
#include <cstdint>
#include <string>
#include <string_view>

#include "model/model.hpp"
#include "text/dissonance.hpp"
#include "text/unicode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sonnet;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto cut = in.find('\0');
  auto user = in.substr(0, cut);
  auto sonnet = cut == std::string_view::npos ? in : in.substr(cut + 1);

  (void)text::valid_utf8(in);
  (void)text::code_points(in);
  (void)text::strip(in);
  auto low = text::lower(in);
  (void)text::split_ws(low);
  (void)text::split_lf(in);
  for (std::size_t pos = 0; pos < in.size();) {
    auto cp = text::decode_at(in, pos);
    pos += cp.size ? cp.size : 1;
  }

  text::vocabulary cloud;
  auto j1 = text::compute_dissonance(user, sonnet, cloud);
  auto tg = text::trigrams(sonnet);
  text::add_to_vocabulary(cloud, tg);
  auto j2 = text::compute_dissonance(user, sonnet, cloud);
  (void)text::adjust_temperature(j1.dissonance);
  (void)text::adjust_temperature(j2.dissonance);
  if (!(j1.dissonance >= 0 && j1.dissonance <= 1) || !(j2.dissonance >= 0 && j2.dissonance <= 1))
    __builtin_trap(); // documented range [0, 1]

  static const model::vocabulary vocab(std::string("\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                   "abcdefghijklmnopqrstuvwxyz"));
  auto ids = vocab.encode(in);
  if (ids.size() != in.size())
    __builtin_trap();
  auto back = vocab.decode(ids);
  if (back.size() != in.size())
    __builtin_trap();
  return 0;
}
