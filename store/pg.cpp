// libpq behind RAII: connections, results, parameters as text, and conninfo redaction.
#include "store/pg.hpp"

#include <poll.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <libpq-fe.h>

#include <cstdlib>
#include <regex>

#include "store/store.hpp"

namespace vigil::store::pg {

std::string redact(std::string_view conninfo) {
  std::string s(conninfo);
  // URL form: scheme://user:password@host... (the password ends at the last '@' before the path).
  static const std::regex url_password(R"(^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@?]*):[^@/?]*@)");
  s = std::regex_replace(s, url_password, "$1:***@");
  // Query-parameter form: ...?password=secret&...
  static const std::regex query_password(R"(([?&]password=)[^&]*)");
  s = std::regex_replace(s, query_password, "$1***");
  // Keyword form: password=secret or password='sec ret'.
  static const std::regex kw_password(R"((^|\s)(password\s*=\s*)('(\\.|[^'])*'|\S*))");
  s = std::regex_replace(s, kw_password, "$1$2***");
  return s;
}

result::result(pg_result* r) : r_(r) {}
result::~result() { PQclear(r_); }
result::result(result&& other) noexcept : r_(other.r_) { other.r_ = nullptr; }
result& result::operator=(result&& other) noexcept {
  if (this != &other) {
    PQclear(r_);
    r_ = other.r_;
    other.r_ = nullptr;
  }
  return *this;
}

bool result::ok() const {
  const auto status = r_ ? PQresultStatus(r_) : PGRES_FATAL_ERROR;
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

std::string result::sqlstate() const {
  if (ok()) return {};
  const char* state = r_ ? PQresultErrorField(r_, PG_DIAG_SQLSTATE) : nullptr;
  return state ? state : "08000";  // no result at all: the connection failed
}

std::string result::message() const {
  const char* m = r_ ? PQresultErrorMessage(r_) : nullptr;
  std::string text = m && *m ? m : "no result";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

int result::rows() const { return r_ ? PQntuples(r_) : 0; }
bool result::is_null(int row, int column) const { return PQgetisnull(r_, row, column) != 0; }

std::string result::text(int row, int column) const {
  return std::string(PQgetvalue(r_, row, column),
                     static_cast<size_t>(PQgetlength(r_, row, column)));
}

int64_t result::integer(int row, int column) const {
  if (PQgetisnull(r_, row, column)) return 0;
  const char* text = PQgetvalue(r_, row, column);
  const char* end = text + PQgetlength(r_, row, column);
  int64_t value = 0;
  const auto [stop, ec] = std::from_chars(text, end, value);
  if (ec != std::errc{} || stop != end)
    throw store_error("column " + std::to_string(column) + " holds " + std::string(text, end) +
                      ", not a whole number");
  return value;
}

connection::connection(const std::string& conninfo) : name_(redact(conninfo)) {
  // A server that does not answer is given up after a few seconds (libpq waits forever by
  // default); the conninfo's own connect_timeout, if it has one, wins: later keywords override.
  const char* keys[] = {"connect_timeout", "dbname", nullptr};
  const char* values[] = {"3", conninfo.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (PQstatus(conn_) != CONNECTION_OK) {
    // libpq's message names host and port, never the password.
    std::string why = conn_ ? PQerrorMessage(conn_) : "out of memory";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    PQfinish(conn_);
    conn_ = nullptr;
    throw store_error("cannot connect to PostgreSQL at " + name_ + ": " + why);
  }
  // Notices (e.g. "relation already exists, skipping") would go to stderr: keep them quiet.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
}

connection::~connection() { PQfinish(conn_); }

result connection::exec(const std::string& sql,
                        const std::vector<std::optional<std::string>>& params) {
  if (PQstatus(conn_) != CONNECTION_OK) {
    // Broken by an earlier call: one reconnect per statement, never a silent retry of it.
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK)
      throw store_error("PostgreSQL at " + name_ + " unreachable: " + PQerrorMessage(conn_));
    setup_session();  // a new session: its settings again, before anything runs on it
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  result r{PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                        nullptr, nullptr, 0)};
  // The connection broke during the statement: whether it committed is unknown, so it is not
  // run again here; the caller reads the log to find out.
  if (PQstatus(conn_) != CONNECTION_OK)
    throw store_error("PostgreSQL at " + name_ + " unreachable: " + r.message());
  return r;
}

void connection::on_every_session(std::vector<std::string> statements) {
  for (const auto& sql : statements) {
    result r{PQexec(conn_, sql.c_str())};
    if (!r.ok()) throw store_error("cannot set up the session (" + name_ + "): " + r.message());
  }
  for (auto& sql : statements) session_setup_.push_back(std::move(sql));
}

bool connection::wait_for_notification(std::chrono::milliseconds timeout) {
  auto drain = [this] {
    bool any = false;
    while (PGnotify* n = PQnotifies(conn_)) {
      any = true;
      PQfreemem(n);
    }
    return any;
  };
  if (PQstatus(conn_) != CONNECTION_OK)
    throw store_error("PostgreSQL at " + name_ + " unreachable: " + PQerrorMessage(conn_));
  if (drain()) return true;  // one already read along with an earlier result
  pollfd p{PQsocket(conn_), POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready < 0 && errno != EINTR)
    throw store_error("PostgreSQL at " + name_ + ": poll failed: " + std::strerror(errno));
  if (ready > 0 && PQconsumeInput(conn_) == 0) {
    // The server went away: the next exec reconnects (and LISTENs again).
    throw store_error("PostgreSQL at " + name_ + " unreachable: " + PQerrorMessage(conn_));
  }
  return drain();
}

void connection::setup_session() {
  for (const auto& sql : session_setup_) {
    result r{PQexec(conn_, sql.c_str())};
    if (!r.ok()) throw store_error("cannot set up the session (" + name_ + "): " + r.message());
  }
}

result connection::exec_ok(const std::string& sql,
                           const std::vector<std::optional<std::string>>& params,
                           const std::string& what) {
  auto r = exec(sql, params);
  if (!r.ok()) throw store_error(what + " (" + name_ + "): " + r.message());
  return r;
}

std::string text_array(const std::vector<std::string_view>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace vigil::store::pg
