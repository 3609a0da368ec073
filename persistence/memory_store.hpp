#pragma once
// A std::map twin of sqlite_store for differential tests (after Broker's memory_backend).
// Same semantics: NaN stands for NULL (skipped by the averages, never matched by best()),
// timestamps are julianday('now') with SQLite's millisecond resolution, ties broken by id.

#include "persistence/store.hpp"

#include <memory>

namespace sonnet::persistence {

/// @returns an empty in-memory cloud.
std::unique_ptr<store> make_memory_store();

} // namespace sonnet::persistence
