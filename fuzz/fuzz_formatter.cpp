// libFuzzer: the formatter (text/formatter.hpp) on arbitrary bytes, valid UTF-8 or not.
#include <cstdint>
#include <string_view>

#include "text/formatter.hpp"
#include "text/unicode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  int max_lines = size ? static_cast<int>(static_cast<signed char>(data[0])) : 40;
  auto lines = sonnet::text::extract_lines(in, max_lines);
  for (auto& l : lines) {
    (void)sonnet::text::clean_line(l); // a clean line stays a line
    (void)sonnet::text::count_syllables(l);
  }
  if (auto f = sonnet::text::format(in)) {
    auto joined = sonnet::text::join_lines(*f);
    (void)sonnet::text::validate(joined);
    (void)sonnet::text::check_meter(*f);
  }
  (void)sonnet::text::validate(in);
  (void)sonnet::text::count_syllables(in);
  for (auto& physical : sonnet::text::split_lf(in))
    (void)sonnet::text::clean_line(physical);
  return 0;
}
