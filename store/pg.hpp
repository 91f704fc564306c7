// A thin RAII layer over libpq: one connection, results that free themselves, text parameters.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// libpq's own handle types, declared here so that libpq-fe.h stays out of our headers.
struct pg_conn;
struct pg_result;

namespace vigil::store::pg {

/// The conninfo or postgresql:// URL with any password replaced by "***": the only form of a
/// conninfo that may appear in a message, a log line or --print-config.
std::string redact(std::string_view conninfo);

/// A statement's outcome: rows as text, or the server's SQLSTATE and message.
class result {
 public:
  explicit result(pg_result* r);
  ~result();
  result(result&& other) noexcept;
  result& operator=(result&& other) noexcept;
  result(const result&) = delete;
  result& operator=(const result&) = delete;

  bool ok() const;
  /// The five-character SQLSTATE ("23505" is a unique violation), empty on success.
  std::string sqlstate() const;
  std::string message() const;
  int rows() const;
  bool is_null(int row, int column) const;
  std::string text(int row, int column) const;
  /// A whole number (int8, int4 …); 0 for NULL; store_error for any other text.
  int64_t integer(int row, int column) const;

 private:
  pg_result* r_;
};

/// One libpq connection, used from one thread at a time.
class connection {
 public:
  /// Connects (blocking) or throws store_error naming the redacted conninfo and why.
  explicit connection(const std::string& conninfo);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Runs one statement with text parameters (std::nullopt is NULL). Never throws for SQL
  /// errors: the caller reads ok()/sqlstate(). Throws store_error when the connection is gone
  /// (a broken connection is re-established once at the start of the next call).
  result exec(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});
  /// exec, then store_error with `what` and the server's message unless it succeeded.
  result exec_ok(const std::string& sql, const std::vector<std::optional<std::string>>& params,
                 const std::string& what);

  /// Statements run now and again after every reconnect: session settings (such as
  /// synchronous_commit, LISTEN) that a new session would otherwise lose. Adds to earlier ones.
  void on_every_session(std::vector<std::string> statements);

  /// Waits up to `timeout` for a NOTIFY on this connection (consuming every pending one):
  /// true if one came. Throws store_error when the connection is broken.
  bool wait_for_notification(std::chrono::milliseconds timeout);
  /// The redacted conninfo, for messages.
  const std::string& name() const { return name_; }
  /// The raw handle, for LISTEN/NOTIFY and socket waits by a later tail loop.
  pg_conn* native() const { return conn_; }

 private:
  void setup_session();

  pg_conn* conn_ = nullptr;
  std::string name_;
  std::vector<std::string> session_setup_;
};

/// A PostgreSQL array literal of text elements ({"a","b\"c"}), for unnest($n::text[]).
std::string text_array(const std::vector<std::string_view>& items);

}  // namespace vigil::store::pg
