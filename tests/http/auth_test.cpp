// Bearer tokens: the Authorization header's shape, which tokens are accepted, the 401 reply,
// and the token file (comments, bad lines, permissions).
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include "http/auth.hpp"
#include "tests/support/sys_test.hpp"

using vigil::http::auth_outcome;
using vigil::http::bearer_token;
using vigil::http::read_token_file;
using vigil::http::token_file_error;
using vigil::http::token_set;

namespace {

std::string header_value(const vigil::http::http_reply& r, const std::string& name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return {};
}

}  // namespace

TEST_CASE("a bearer header is the scheme in any case, one space and one token", "[auth]") {
  CHECK(bearer_token("Bearer abc") == std::string_view{"abc"});
  CHECK(bearer_token("bearer abc") == std::string_view{"abc"});
  CHECK(bearer_token("BEARER abc") == std::string_view{"abc"});
  CHECK(bearer_token("Bearer a-b.c_d~e+f/g==") == std::string_view{"a-b.c_d~e+f/g=="});
  for (const char* bad : {"", "Bearer", "Bearer ", "Bearer  abc", " Bearer abc", "Bearer abc ",
                          "Bearer\tabc", "Bearer abc def", "Basic YWxhZGRpbjpvcGVu", "Bearerabc",
                          "Token abc", "Bearer ab=c", "Bearer =abc", "Bearer a\"b", "Bearer a,b"}) {
    INFO('"' << bad << '"');
    CHECK_FALSE(bearer_token(bad));
  }
}

TEST_CASE("a token set accepts exactly its tokens, each of them", "[auth]") {
  const token_set tokens{std::vector<std::string>{"first-token", "second.token", "third~token=="}};
  CHECK_FALSE(tokens.empty());
  CHECK(tokens.size() == 3);
  CHECK(tokens.accepts("Bearer first-token"));
  CHECK(tokens.accepts("Bearer second.token"));
  CHECK(tokens.accepts("bearer third~token=="));

  CHECK(tokens.check("") == auth_outcome::missing);
  CHECK(tokens.check("Basic Zmlyc3QtdG9rZW4=") == auth_outcome::malformed);
  CHECK(tokens.check("Bearer  first-token") == auth_outcome::malformed);
  CHECK(tokens.check("Bearer first-token ") == auth_outcome::malformed);
  CHECK(tokens.check("first-token") == auth_outcome::malformed);
  CHECK(tokens.check("Bearer first-toke") == auth_outcome::invalid_token);    // a prefix
  CHECK(tokens.check("Bearer first-tokenX") == auth_outcome::invalid_token);  // longer
  CHECK(tokens.check("Bearer First-token") == auth_outcome::invalid_token);   // case counts
  CHECK(tokens.check("Bearer third~token") == auth_outcome::invalid_token);   // padding counts
  CHECK(tokens.check("Bearer wrong") == auth_outcome::invalid_token);
  for (const char* h : {"", "Bearer", "Bearer ", "Bearer wrong", "Bearer first-toke"})
    CHECK_FALSE(tokens.accepts(h));
}

TEST_CASE("an empty token is never accepted, and an empty set accepts nothing", "[auth]") {
  const token_set only_empty{std::vector<std::string>{""}};
  CHECK(only_empty.empty());
  CHECK_FALSE(only_empty.accepts("Bearer "));
  CHECK_FALSE(only_empty.accepts("Bearer"));
  CHECK_FALSE(only_empty.accepts(""));

  const token_set none;
  CHECK(none.empty());
  CHECK_FALSE(none.accepts("Bearer anything"));

  const token_set mixed{std::vector<std::string>{"", "real"}};
  CHECK(mixed.size() == 1);
  CHECK(mixed.accepts("Bearer real"));
  CHECK_FALSE(mixed.accepts("Bearer "));
}

TEST_CASE("the 401 reply says what was wrong without echoing the token", "[auth]") {
  using vigil::http::unauthorized_reply;
  const auto missing = unauthorized_reply(auth_outcome::missing);
  CHECK(missing.status == 401);
  CHECK(missing.content_type == "application/json");
  CHECK(header_value(missing, "WWW-Authenticate") == "Bearer realm=\"vigil\"");
  const auto body = nlohmann::json::parse(missing.body);
  CHECK(body["error"] == "unauthorized");
  CHECK_FALSE(body.contains("field"));  // encode_error leaves it out when no field is at fault
  CHECK_FALSE(body["detail"].get<std::string>().empty());

  const auto wrong = unauthorized_reply(auth_outcome::invalid_token);
  CHECK(wrong.status == 401);
  CHECK(header_value(wrong, "WWW-Authenticate") ==
        "Bearer realm=\"vigil\", error=\"invalid_token\"");
  CHECK(nlohmann::json::parse(wrong.body)["error"] == "unauthorized");

  const auto malformed = unauthorized_reply(auth_outcome::malformed);
  CHECK(header_value(malformed, "WWW-Authenticate") ==
        "Bearer realm=\"vigil\", error=\"invalid_request\"");
  CHECK(header_value(malformed, "Cache-Control") == "no-store");
}

TEST_CASE("a token file skips blank lines and comments and trims whitespace", "[auth]") {
  temp_dir dir;
  const auto path = write_file(dir, "tokens",
                               "# rotated 2026-11-01\n"
                               "\n"
                               "  alpha-token  \n"
                               "\t# indented comment\n"
                               "beta.token\r\n"
                               "   \n"
                               "gamma==",
                               0600);
  const auto file = read_token_file(path);
  CHECK(file.tokens == std::vector<std::string>{"alpha-token", "beta.token", "gamma=="});
  CHECK(file.mode == 0600);
  CHECK_FALSE(file.too_open());
  const token_set tokens{file.tokens};
  CHECK(tokens.accepts("Bearer beta.token"));
  CHECK_FALSE(tokens.accepts("Bearer # rotated 2026-11-01"));
}

TEST_CASE("a token file that group or others can read is flagged", "[auth]") {
  temp_dir dir;
  for (const mode_t mode : {0644, 0640, 0604, 0620}) {
    INFO(std::oct << mode);
    CHECK(read_token_file(write_file(dir, "tokens", "tok\n", mode)).too_open());
  }
  for (const mode_t mode : {0600, 0400}) {
    INFO(std::oct << mode);
    CHECK_FALSE(read_token_file(write_file(dir, "tokens", "tok\n", mode)).too_open());
  }
}

TEST_CASE("a bad token file is refused, naming the line but not its content", "[auth]") {
  temp_dir dir;
  auto message = [&](const std::string& content) {
    try {
      read_token_file(write_file(dir, "tokens", content, 0600));
    } catch (const token_file_error& e) {
      return e.what;
    }
    return std::string{"(accepted)"};
  };
  const auto two_words = message("good-token\nsecret-one secret-two\n");
  CHECK(two_words.find("line 2") != std::string::npos);
  CHECK(two_words.find("secret") == std::string::npos);
  CHECK(message("tok\"en\n").find("line 1") != std::string::npos);
  CHECK(message("# only a comment\n\n").find("holds no token") != std::string::npos);
  CHECK(message("").find("holds no token") != std::string::npos);

  std::string missing_error;
  try {
    read_token_file(dir.file("absent"));
  } catch (const token_file_error& e) {
    missing_error = e.what;
  }
  CHECK(missing_error.find("cannot read") != std::string::npos);
  CHECK(missing_error.find("No such file") != std::string::npos);

  std::string dir_error;
  try {
    read_token_file(dir.path());
  } catch (const token_file_error& e) {
    dir_error = e.what;
  }
  CHECK(dir_error.find("not a regular file") != std::string::npos);
}

TEST_CASE("show_details takes three words", "[auth]") {
  using vigil::http::details_policy;
  using vigil::http::parse_details_policy;
  CHECK(parse_details_policy("never") == details_policy::never);
  CHECK(parse_details_policy("when_authorized") == details_policy::when_authorized);
  CHECK(parse_details_policy("always") == details_policy::always);
  CHECK_FALSE(parse_details_policy("Always"));
  CHECK_FALSE(parse_details_policy(""));
  CHECK(std::string{to_string(details_policy::when_authorized)} == "when_authorized");
}
