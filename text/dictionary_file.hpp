#pragma once
// Internal to text/: the compiled dictionary file (dictionary::save_compiled / load_compiled,
// text/dictionary_file.cpp) starts with these 8 bytes; dictionary::load tells it by them.

namespace sonnet::text::detail {

inline constexpr char compiled_magic[8] = {'S', 'N', 'T', 'D', 'I', 'C', 'T', '1'};

} // namespace sonnet::text::detail
