// Bearer tokens (RFC 6750): named tokens with a scope, a constant-time check of an
// Authorization header, the token file, and the 401/403 replies. Token values are never logged
// or printed; a token's name is.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/reply.hpp"

namespace vigil::http {

/// Who may see the details (checks, snapshot) of /health.
enum class details_policy {
  never,            ///< nobody: status only
  when_authorized,  ///< callers with a valid token; everyone when no token is configured
  always,           ///< everyone, token or not
};

/// "never", "when_authorized", "always"; nothing for anything else.
std::optional<details_policy> parse_details_policy(std::string_view text);
const char* to_string(details_policy p);

/// True when `token` is a non-empty RFC 6750 b64token: letters, digits, `-._~+/`, then any `=`.
bool is_valid_token(std::string_view token);

/// What a token may do. A route needs one scope; allows() says which tokens pass. A later
/// `worker` scope (poll and report only) is one more value and one more rule in allows().
enum class scope {
  read,   ///< every GET and every stream
  admin,  ///< everything
};

/// "read", "admin"; nothing for anything else.
std::optional<scope> parse_scope(std::string_view text);
const char* to_string(scope s);

/// True when a token of scope `held` may use a route that needs `needed`.
bool allows(scope held, scope needed);

/// One configured token. `secret` is the value a client sends; never logged or printed.
struct named_token {
  std::string name;
  scope level = scope::admin;
  std::string secret;
};

/// The name of the admin token(s) that `auth_token` and `auth_token_file` configure.
inline constexpr const char* default_token_name = "default";

/// What an Authorization header amounts to against a token set.
enum class auth_outcome {
  accepted,       ///< `Bearer <token>` with a configured token
  missing,        ///< no Authorization header (or an empty one)
  malformed,      ///< not `Bearer <one token>`
  invalid_token,  ///< well-formed, but not a configured token
};

/// The configured bearer tokens. Empty: authentication is off.
class token_set {
 public:
  token_set() = default;
  /// Admin tokens named default_token_name. Empty strings are dropped (an empty token is never
  /// accepted); duplicates are kept.
  explicit token_set(std::vector<std::string> tokens);
  /// Named tokens; those with an empty secret are dropped.
  explicit token_set(std::vector<named_token> tokens);

  bool empty() const { return tokens_.empty(); }
  size_t size() const { return tokens_.size(); }

  /// True when `authorization_header` is `Bearer <t>` (scheme in any case, one space, one
  /// token, nothing else) and t is one of the tokens. Every token is compared in full, in
  /// time that depends on the lengths only, never on where the bytes differ. Always false
  /// when the set is empty.
  bool accepts(std::string_view authorization_header) const;

  /// The same, with why a header is refused.
  auth_outcome check(std::string_view authorization_header) const;

  /// Who a header authenticates: the outcome and, when accepted, the matching token (which
  /// outlives the call as long as the set does). Compares like accepts().
  struct identity {
    auth_outcome outcome = auth_outcome::missing;
    const named_token* token = nullptr;
  };
  identity identify(std::string_view authorization_header) const;

 private:
  std::vector<named_token> tokens_;
};

/// The token of `Bearer <token>`, or nothing when the header has another shape.
std::optional<std::string_view> bearer_token(std::string_view authorization_header);

/// 401 with `WWW-Authenticate: Bearer realm="vigil"` (plus `error="invalid_token"` for a
/// wrong token, `error="invalid_request"` for a header of another shape, nothing when there
/// was none) and the API's error body `{"error":"unauthorized","detail":...}` (encode_error:
/// no "field", since no field is at fault).
/// `outcome` must not be accepted.
http_reply unauthorized_reply(auth_outcome outcome);

/// 403 `{"error":"forbidden","detail":"... needs scope <needed> ..."}` for a valid token whose
/// scope does not allow the route. Names the token, never its value.
http_reply forbidden_reply(const named_token& token, scope needed);

/// A token file: one token per line; blank lines and lines starting with `#` are skipped,
/// surrounding whitespace (and a CR) is trimmed.
struct token_file {
  std::vector<std::string> tokens;
  unsigned mode = 0;  ///< permission bits (07777)
  /// True when group or others have any permission on the file: it should be 0600 or 0400.
  bool too_open() const { return (mode & 077) != 0; }
};

/// Why a token file could not be used; `what` never contains a token.
struct token_file_error {
  std::string what;
};

/// Reads and checks a token file. Throws token_file_error when it cannot be read, a line is
/// not a valid token (named by its number, not its content), or it holds no token at all.
token_file read_token_file(const std::string& path);

}  // namespace vigil::http
