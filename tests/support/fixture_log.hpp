// A fixture log (tests/fixtures/log-v*.sql, SQL text) restored into a fresh SQLite file.
#pragma once

#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

namespace vigil::test {

/// Restores `dump` as `<dir>/events.db` and returns that path.
inline std::string restore_fixture(const std::string& dump, const std::string& dir) {
  std::ifstream in{dump};
  REQUIRE(in);
  std::stringstream sql;
  sql << in.rdbuf();
  const std::string db_path = dir + "/events.db";
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.str().c_str(), nullptr, nullptr, &error);
  INFO((error ? error : ""));
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
  return db_path;
}

}  // namespace vigil::test
