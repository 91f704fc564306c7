// Bearer tokens: parsing, the constant-time comparison, the token file and the 401 reply.
#include "http/auth.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "codec/json_writer.hpp"
#include "http/responses.hpp"
#include "model/rejection.hpp"

namespace vigil::http {
namespace {

bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

/// `text` equals `lower` (in lower case) in any case, ASCII only.
bool iequals(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

/// Zero only when `a` and `b` are equal. Runs over max(|a|, |b|) bytes whatever they hold:
/// no early exit on the length or on the first difference.
size_t difference(std::string_view a, std::string_view b) {
  size_t acc = a.size() ^ b.size();
  const size_t n = a.size() > b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) {
    const auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0u;
    const auto y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0u;
    acc |= x ^ y;
  }
  return acc;
}

std::string_view trim(std::string_view s) {
  const char* const space = " \t\r\v\f";
  const auto first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

}  // namespace

std::optional<details_policy> parse_details_policy(std::string_view text) {
  if (text == "never") return details_policy::never;
  if (text == "when_authorized") return details_policy::when_authorized;
  if (text == "always") return details_policy::always;
  return std::nullopt;
}

const char* to_string(details_policy p) {
  switch (p) {
    case details_policy::never:
      return "never";
    case details_policy::when_authorized:
      return "when_authorized";
    case details_policy::always:
      return "always";
  }
  return "?";
}

std::optional<scope> parse_scope(std::string_view text) {
  if (text == "read") return scope::read;
  if (text == "admin") return scope::admin;
  return std::nullopt;
}

const char* to_string(scope s) {
  switch (s) {
    case scope::read:
      return "read";
    case scope::admin:
      return "admin";
  }
  return "?";
}

bool allows(scope held, scope needed) {
  // Not an ordering: a worker scope would allow its own routes and nothing that read allows.
  return held == scope::admin || held == needed;
}

bool is_valid_token(std::string_view token) {
  size_t i = 0;
  while (i < token.size() && token_char(token[i])) ++i;
  if (i == 0) return false;
  while (i < token.size() && token[i] == '=') ++i;
  return i == token.size();
}

std::optional<std::string_view> bearer_token(std::string_view header) {
  constexpr std::string_view scheme = "bearer";
  if (header.size() < scheme.size() + 2 || !iequals(header.substr(0, scheme.size()), scheme) ||
      header[scheme.size()] != ' ')
    return std::nullopt;
  const auto token = header.substr(scheme.size() + 1);
  if (!is_valid_token(token)) return std::nullopt;
  return token;
}

token_set::token_set(std::vector<std::string> tokens) {
  for (auto& t : tokens)
    if (!t.empty()) tokens_.push_back({default_token_name, scope::admin, std::move(t)});
}

token_set::token_set(std::vector<named_token> tokens) {
  for (auto& t : tokens)
    if (!t.secret.empty()) tokens_.push_back(std::move(t));
}

bool token_set::accepts(std::string_view header) const {
  return check(header) == auth_outcome::accepted;
}

auth_outcome token_set::check(std::string_view header) const { return identify(header).outcome; }

token_set::identity token_set::identify(std::string_view header) const {
  if (header.empty()) return {auth_outcome::missing, nullptr};
  const auto given = bearer_token(header);
  if (!given) return {auth_outcome::malformed, nullptr};
  // Every token is compared in full and the loop never breaks: the time taken says nothing
  // about which token, or which prefix of one, came close.
  const named_token* match = nullptr;
  for (const auto& t : tokens_) {
    const bool equal = difference(t.secret, *given) == 0;
    if (equal && !match) match = &t;
  }
  return {match ? auth_outcome::accepted : auth_outcome::invalid_token, match};
}

http_reply unauthorized_reply(auth_outcome outcome) {
  std::string detail;
  std::string challenge = "Bearer realm=\"vigil\"";
  switch (outcome) {
    case auth_outcome::missing:
    case auth_outcome::accepted:
      detail = "this route needs a bearer token: Authorization: Bearer <token>";
      break;
    case auth_outcome::malformed:
      detail = "the Authorization header is not 'Bearer <token>'";
      challenge += ", error=\"invalid_request\"";
      break;
    case auth_outcome::invalid_token:
      detail = "the bearer token is not valid";
      challenge += ", error=\"invalid_token\"";
      break;
  }
  http_reply r = error_reply({model::errc::unauthorized, std::move(detail), ""});
  r.headers.emplace_back("WWW-Authenticate", std::move(challenge));
  return r;
}

http_reply forbidden_reply(const named_token& token, scope needed) {
  http_reply r;
  r.status = 403;
  r.body = "{\"error\":\"forbidden\",\"detail\":" +
           codec::quote("this route needs scope " + std::string{to_string(needed)} +
                        "; the token '" + token.name + "' has scope " + to_string(token.level)) +
           "}";
  return r;
}

token_file read_token_file(const std::string& path) {
  constexpr size_t max_size = 1 << 20;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw token_file_error{"cannot read " + path + ": " + std::strerror(errno)};
  struct stat st {};
  std::string content;
  int read_errno = 0;
  if (::fstat(fd, &st) != 0) {
    read_errno = errno;
  } else if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw token_file_error{"cannot read " + path + ": not a regular file"};
  } else {
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) read_errno = errno;
      if (n <= 0) break;
      content.append(buf, static_cast<size_t>(n));
      if (content.size() > max_size) break;
    }
  }
  ::close(fd);
  if (read_errno != 0)
    throw token_file_error{"cannot read " + path + ": " + std::strerror(read_errno)};
  if (content.size() > max_size) throw token_file_error{path + " is larger than 1 MiB"};

  token_file out;
  out.mode = static_cast<unsigned>(st.st_mode) & 07777;
  std::string_view rest = content;
  for (size_t number = 1; !rest.empty(); ++number) {
    const auto eol = rest.find('\n');
    const auto line = trim(rest.substr(0, eol));
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
    if (line.empty() || line.front() == '#') continue;
    // The line's content is not quoted: it may be a token with a typo.
    if (!is_valid_token(line))
      throw token_file_error{path + ": line " + std::to_string(number) +
                             " is not a token (letters, digits, -._~+/ and a trailing =)"};
    out.tokens.emplace_back(line);
  }
  if (out.tokens.empty()) throw token_file_error{path + " holds no token"};
  return out;
}

}  // namespace vigil::http
