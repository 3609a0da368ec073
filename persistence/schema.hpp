#pragma once
// Every SQL text of the persistence layer, in one place.
//
// The first four tables are the Python prototype's exact DDL (PROTOTYPE-SPEC §2.1), run with
// `CREATE TABLE IF NOT EXISTS`, so a cloud file written by either program opens in the other.
// Everything after them is ours and purely additive: `meta` (schema version and what the cloud
// looked like when we first adopted it), `sonnet_inputs` (the user words each of our sonnets was
// judged against, needed to replay dissonance) and two indexes for `recent` / `best`.

#include <cstdint>

namespace sonnet::persistence::sql {

/// Version of our additive schema, stored in meta('schema_version').
inline constexpr int64_t schema_version = 1;

// --- the prototype's DDL (byte for byte the statements the prototype runs) ---------------------

inline constexpr const char* create_sonnets = R"(CREATE TABLE IF NOT EXISTS sonnets (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                text TEXT NOT NULL,
                quality REAL DEFAULT 0.5,
                dissonance REAL,
                temperature REAL,
                timestamp REAL DEFAULT (julianday('now')),
                added_by TEXT DEFAULT 'user',
                word_count INTEGER,
                line_count INTEGER DEFAULT 14
            ))";

inline constexpr const char* create_sonnet_lines = R"(CREATE TABLE IF NOT EXISTS sonnet_lines (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                sonnet_id INTEGER,
                line_num INTEGER,
                text TEXT NOT NULL,
                syllable_count INTEGER,
                FOREIGN KEY (sonnet_id) REFERENCES sonnets(id)
            ))";

inline constexpr const char* create_sonnet_trigrams =
  R"(CREATE TABLE IF NOT EXISTS sonnet_trigrams (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                word1 TEXT NOT NULL,
                word2 TEXT NOT NULL,
                word3 TEXT NOT NULL,
                count INTEGER DEFAULT 1,
                resonance REAL,
                UNIQUE(word1, word2, word3)
            ))";

inline constexpr const char* create_metrics = R"(CREATE TABLE IF NOT EXISTS metrics (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                timestamp REAL DEFAULT (julianday('now')),
                avg_quality REAL,
                avg_dissonance REAL,
                sonnet_count INTEGER,
                vocab_size INTEGER
            ))";

// --- ours (additive) ---------------------------------------------------------------------------

inline constexpr const char* create_meta =
  "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)";

inline constexpr const char* create_sonnet_inputs =
  "CREATE TABLE IF NOT EXISTS sonnet_inputs(sonnet_id INTEGER PRIMARY KEY, user_input TEXT, "
  "seed INTEGER)";

inline constexpr const char* create_index_recent =
  "CREATE INDEX IF NOT EXISTS sonnets_by_time ON sonnets(timestamp, id)";

/// Serves best() (quality, id) and covers stats()' averages, so neither reads the sonnet texts.
inline constexpr const char* create_index_best =
  "CREATE INDEX IF NOT EXISTS sonnets_by_quality ON sonnets(quality, id, dissonance)";

/// All DDL, in execution order (run inside one transaction when a cloud is created or adopted).
inline constexpr const char* ddl[] = {
  create_sonnets, create_sonnet_lines,  create_sonnet_trigrams, create_metrics,
  create_meta,    create_sonnet_inputs, create_index_recent,    create_index_best,
};

/// Columns a file must have, per table, to be taken for a sonnet cloud. `metrics` is not
/// required (nothing reads it; it is created if missing).
struct required_table {
  const char* name;
  const char* columns[10];
};
inline constexpr required_table required_tables[] = {
  {"sonnets",
   {"id", "text", "quality", "dissonance", "temperature", "timestamp", "added_by", "word_count",
    "line_count", nullptr}},
  {"sonnet_lines", {"id", "sonnet_id", "line_num", "text", "syllable_count", nullptr}},
  {"sonnet_trigrams", {"id", "word1", "word2", "word3", "count", nullptr}},
};
/// Our tables: optional (a prototype file has none), but if present they must have these.
inline constexpr required_table own_tables[] = {
  {"meta", {"key", "value", nullptr}},
  {"sonnet_inputs", {"sonnet_id", "user_input", "seed", nullptr}},
};

// --- validation (read-only queries run before anything is written) ----------------------------

inline constexpr const char* count_tables =
  "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
inline constexpr const char* table_exists =
  "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?";
/// Returns one row per column name of table ?1 (table-valued pragma; the name is bound).
inline constexpr const char* table_columns = "SELECT name FROM pragma_table_info(?)";
/// 1 if sonnet_trigrams has a UNIQUE index on exactly (word1, word2, word3), needed by the upsert.
inline constexpr const char* trigram_unique_index =
  "SELECT COUNT(*) FROM pragma_index_list('sonnet_trigrams') AS l "
  "WHERE l.\"unique\" = 1 AND "
  "(SELECT group_concat(name, ',') FROM "
  "  (SELECT name FROM pragma_index_info(l.name) ORDER BY seqno)) = 'word1,word2,word3'";
inline constexpr const char* meta_get = "SELECT value FROM meta WHERE key = ?";

// --- pragmas (after validation; read_write only) -----------------------------------------------

inline constexpr const char* pragma_wal = "PRAGMA journal_mode=WAL";
inline constexpr const char* pragma_journal_mode = "PRAGMA journal_mode";
inline constexpr const char* pragma_sync_full = "PRAGMA synchronous=FULL";
inline constexpr const char* pragma_sync_normal = "PRAGMA synchronous=NORMAL";
inline constexpr const char* pragma_synchronous = "PRAGMA synchronous";
/// Prefixes completed with a number (per-connection settings; they write nothing to the file).
inline constexpr const char* pragma_cache_size_kib = "PRAGMA cache_size=-";
inline constexpr const char* pragma_wal_autocheckpoint = "PRAGMA wal_autocheckpoint=";

// --- adoption bookkeeping ----------------------------------------------------------------------

inline constexpr const char* meta_put = "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)";
/// What the cloud held when we first wrote our schema into it (prototype baseline for replay).
inline constexpr const char* adoption_snapshot =
  "SELECT (SELECT COUNT(*) FROM sonnets), (SELECT IFNULL(MAX(id), 0) FROM sonnets), "
  "(SELECT COUNT(*) FROM sonnet_trigrams), (SELECT IFNULL(SUM(count), 0) FROM sonnet_trigrams)";

// --- the store's prepared statements -----------------------------------------------------------

inline constexpr const char* begin_immediate = "BEGIN IMMEDIATE";
inline constexpr const char* commit = "COMMIT";
inline constexpr const char* rollback = "ROLLBACK";

inline constexpr const char* insert_sonnet =
  "INSERT INTO sonnets (text, quality, dissonance, temperature, added_by, word_count, line_count) "
  "VALUES (?, ?, ?, ?, ?, ?, ?)";
inline constexpr const char* insert_line =
  "INSERT INTO sonnet_lines (sonnet_id, line_num, text, syllable_count) VALUES (?, ?, ?, ?)";
inline constexpr const char* upsert_trigram =
  "INSERT INTO sonnet_trigrams (word1, word2, word3, count) VALUES (?, ?, ?, 1) "
  "ON CONFLICT(word1, word2, word3) DO UPDATE SET count = count + 1";
inline constexpr const char* insert_input =
  "INSERT INTO sonnet_inputs (sonnet_id, user_input, seed) VALUES (?, ?, ?)";

inline constexpr const char* select_stats =
  "SELECT COUNT(*), IFNULL(AVG(quality), 0.0), IFNULL(AVG(dissonance), 0.0) FROM sonnets";
/// The prototype's vocab_size (only used by tests and replay; the store keeps it in memory).
inline constexpr const char* select_vocab_size =
  "SELECT COUNT(DISTINCT word1) FROM sonnet_trigrams";
#define SONNET_SONNET_COLUMNS "id, text, quality, dissonance, temperature, timestamp, added_by"
inline constexpr const char* select_recent =
  "SELECT " SONNET_SONNET_COLUMNS " FROM sonnets ORDER BY timestamp DESC, id DESC LIMIT ?";
inline constexpr const char* select_best =
  "SELECT " SONNET_SONNET_COLUMNS " FROM sonnets WHERE quality >= ? "
  "ORDER BY quality DESC, id ASC LIMIT ?";
inline constexpr const char* select_one =
  "SELECT " SONNET_SONNET_COLUMNS " FROM sonnets WHERE id = ?";
inline constexpr const char* select_by_text = "SELECT min(id) FROM sonnets WHERE text = ?";
#undef SONNET_SONNET_COLUMNS
/// The id range the series is bucketed over.
inline constexpr const char* select_id_range =
  "SELECT IFNULL(MIN(id), 0), IFNULL(MAX(id), 0) FROM sonnets";
/// The series (store::series): ?1 = first id, ?2 = bucket width. One scan of the primary key;
/// AVG/MIN/MAX skip NULLs (all NULL -> NULL).
inline constexpr const char* select_series =
  "SELECT MIN(id), MAX(id), COUNT(*), AVG(dissonance), MIN(dissonance), MAX(dissonance), "
  "AVG(quality), MIN(quality), MAX(quality) FROM sonnets GROUP BY (id - ?1) / ?2 ORDER BY 1";
/// Loads the vocabulary at open (?1 = 0) and catches up with other writers' trigrams after.
/// New words only ever arrive in new rows, and AUTOINCREMENT ids grow in commit order.
inline constexpr const char* select_trigram_words =
  "SELECT id, word1, word2, word3 FROM sonnet_trigrams WHERE id > ? ORDER BY id";
/// Inside our write transaction, after our inserts: every row up to it is known to us.
inline constexpr const char* select_max_trigram_id =
  "SELECT IFNULL(MAX(id), 0) FROM sonnet_trigrams";
inline constexpr const char* select_origin =
  "SELECT user_input, seed FROM sonnet_inputs WHERE sonnet_id = ?";

// --- replay (read-only) ------------------------------------------------------------------------

inline constexpr const char* replay_trigrams =
  "SELECT word1, word2, word3, count FROM sonnet_trigrams";
inline constexpr const char* replay_ours =
  "SELECT s.id, s.text, s.dissonance, s.line_count, i.user_input, i.seed FROM sonnets AS s "
  "JOIN sonnet_inputs AS i ON i.sonnet_id = s.id ORDER BY s.id";
inline constexpr const char* replay_foreign =
  "SELECT COUNT(*), IFNULL(MAX(id), 0) FROM sonnets WHERE id NOT IN "
  "(SELECT sonnet_id FROM sonnet_inputs)";
inline constexpr const char* replay_lines =
  "SELECT sonnet_id, COUNT(*) FROM sonnet_lines WHERE sonnet_id IN "
  "(SELECT sonnet_id FROM sonnet_inputs) GROUP BY sonnet_id";
inline constexpr const char* replay_orphan_inputs =
  "SELECT COUNT(*) FROM sonnet_inputs WHERE sonnet_id NOT IN (SELECT id FROM sonnets)";

} // namespace sonnet::persistence::sql
