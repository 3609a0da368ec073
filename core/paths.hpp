#pragma once
// Where the files the product ships (the default model, the vocabulary files, the compiled
// pronouncing dictionary) are found at run time, so that an installed or moved binary keeps them.
//
// A data directory holds `models/default.npz`, `configs/<stem>.vocab` and `cmudict-0.4.bin`.
// Searched in order, the first directory holding the file wins:
//   1. $SONNET_DATA_DIR, then the directory a host program named with set_data_dir();
//   2. <directory of the running binary>/../share/sonnet-actors (an installed prefix, wherever
//      it was moved to);
//   3. the build tree and 4. the source checkout this binary was built from (development);
//   5. the install prefix chosen at configure time (host apps linking the installed libraries:
//      their binary lives elsewhere).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sonnet::paths {

/// A file found in a data directory, and which rule found it ("env", "host", "install", "build",
/// "source", "prefix"). `path` is empty when no directory holds the file.
struct found {
  std::string path;
  std::string source;
};

/// Names the data directory of the package a host program was built against (CMake's
/// SonnetActors_DATA_DIR): searched right after $SONNET_DATA_DIR. Call it before anything is
/// spawned; it is not synchronised with readers.
void set_data_dir(std::string dir);

/// The data directories in search order, each with its rule's name.
std::vector<std::pair<std::string, std::string>> data_dirs();

/// @param relative a path inside a data directory, e.g. "models/default.npz".
/// @returns the first existing one; when none exists, `path` is empty.
found find_data(std::string_view relative);

/// The model used when none is named (flags, config and $SONNET_MODEL come first, in the apps).
found default_model();

/// The directory of the bundled vocabulary files (`configs/`); empty path when none is found.
found config_dir();

/// The pronouncing dictionary compiled at build time; empty path when none is found.
found compiled_dictionary();

} // namespace sonnet::paths
