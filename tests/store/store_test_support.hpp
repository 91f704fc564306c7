// Helpers for the store tests: a fresh temp directory, raw SQL on a log file, sample events.
#pragma once

#include "tests/support/temp_dir.hpp"

#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace vigil::store::testing {

using vigil::test::temp_dir;

/// A second, plain connection to a log file: how the tests damage it or look inside.
class raw_db {
 public:
  explicit raw_db(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
      const std::string why = sqlite3_errmsg(db_);
      sqlite3_close(db_);
      throw std::runtime_error("cannot open " + path + ": " + why);
    }
  }
  ~raw_db() { sqlite3_close(db_); }
  raw_db(const raw_db&) = delete;
  raw_db& operator=(const raw_db&) = delete;

  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string why = error ? error : "unknown error";
      sqlite3_free(error);
      throw std::runtime_error(sql + ": " + why);
    }
  }

  /// The first column of every row the query returns, as text.
  std::vector<std::string> column(const std::string& sql) {
    std::vector<std::string> out;
    auto collect = [](void* sink, int, char** values, char**) {
      static_cast<std::vector<std::string>*>(sink)->push_back(values[0] ? values[0] : "NULL");
      return 0;
    };
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), collect, &out, &error) != SQLITE_OK) {
      const std::string why = error ? error : "unknown error";
      sqlite3_free(error);
      throw std::runtime_error(sql + ": " + why);
    }
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

/// Event number `n` of a test log; times are whole milliseconds, as the durable store keeps them.
inline stored_event sample_event(int n, size_t body_size = 0) {
  stored_event e;
  e.type = n % 3 == 0 ? "run_finished" : "job_defined";
  e.schema_version = 1 + n % 2;
  e.time = model::wall_time{std::chrono::milliseconds{1'764'000'000'000 + 1000LL * n}};
  e.epoch = "epoch-" + std::to_string(n % 2);
  e.body = "{\"n\":" + std::to_string(n) + ",\"pad\":\"";
  e.body += std::string(body_size, 'x') + "\"}";
  return e;
}

/// Events first, first+1, … first+count-1 (numbered as their seqs will be).
inline std::vector<stored_event> sample_batch(int first, int count, size_t body_size = 0) {
  std::vector<stored_event> out;
  for (int n = first; n < first + count; ++n) out.push_back(sample_event(n, body_size));
  return out;
}

/// The seqs of a read, for one-line comparisons.
inline std::vector<uint64_t> seqs_of(const std::vector<stored_event>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e.seq);
  return out;
}

inline std::vector<uint64_t> seq_range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (uint64_t s = first; s <= last; ++s) out.push_back(s);
  return out;
}

}  // namespace vigil::store::testing
