// The API's contract inside the daemon: GET /v1/openapi.json serves docs/openapi.yaml as JSON to
// anyone, and the document names exactly the routes and methods of the route table.
#include <sys/stat.h>

#include <cctype>
#include <fstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "http/api_document.hpp"
#include "http/route_table.hpp"
#include "tests/support/sys_test.hpp"

namespace {

/// (path template, method), e.g. ("/v1/jobs/{id}", "PUT").
using route = std::pair<std::string, std::string>;

/// Routes the document already describes while the code is still on its way (merged on main in
/// parallel). Each one is skipped with a warning; once the route table has it, the check fails
/// until it is taken out of this list.
const std::set<route> pending_on_main = {};

/// The embedded document, parsed.
json embedded_document() {
  const auto* doc = vigil::http::find_api_document("openapi.json");
  REQUIRE(doc != nullptr);
  return json::parse(doc->body);
}

/// Every (path, METHOD) operation of an OpenAPI document.
std::set<route> operations_of(const json& doc) {
  static const std::set<std::string> methods = {"get",  "put",     "post",  "delete",
                                                "head", "options", "patch", "trace"};
  std::set<route> out;
  for (const auto& [path, item] : doc.at("paths").items())
    for (const auto& [key, operation] : item.items())
      if (methods.count(key)) {
        std::string method = key;
        for (auto& ch : method)
          ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        out.emplace(path, method);
      }
  return out;
}

/// Every route of the table, with the HEAD that each GET implies.
std::set<route> table_routes() {
  std::set<route> out;
  for (auto r = vigil::http::route_rules_begin(); r != vigil::http::route_rules_end(); ++r) {
    out.emplace(r->path, r->method);
    if (std::string{r->method} == "GET") out.emplace(r->path, "HEAD");
  }
  return out;
}

/// What differs, one line per route, naming where it is missing; pending routes are left out
/// of the document's side, but named when the table has them too.
std::vector<std::string> differences(const std::set<route>& table, const std::set<route>& doc,
                                     const std::set<route>& pending) {
  std::vector<std::string> out;
  for (const auto& [path, method] : table) {
    if (pending.count({path, method}))
      out.push_back(method + " " + path +
                    ": in the route table now; take it out of pending_on_main");
    else if (!doc.count({path, method}))
      out.push_back(method + " " + path + ": in the route table" +
                    (method == "HEAD" ? " (implied by its GET)" : "") +
                    ", missing from docs/openapi.yaml");
  }
  for (const auto& [path, method] : doc)
    if (!table.count({path, method}) && !pending.count({path, method}))
      out.push_back(method + " " + path + ": in docs/openapi.yaml, missing from the route table");
  return out;
}

std::string token_file(const temp_dir& dir, const std::string& token) {
  const std::string path = dir.file("tokens");
  std::ofstream(path) << token << "\n";
  chmod(path.c_str(), 0600);
  return path;
}

}  // namespace

TEST_CASE("the route table and docs/openapi.yaml name the same routes and methods",
          "[http][openapi]") {
  const auto doc = embedded_document();
  const auto table = table_routes();
  const auto documented = operations_of(doc);
  for (const auto& [path, method] : pending_on_main)
    if (documented.count({path, method}) && !table.count({path, method}))
      WARN(method << " " << path << " is documented and pending on main: not checked yet");
  const auto missing = differences(table, documented, pending_on_main);
  for (const auto& line : missing) FAIL_CHECK(line);
  CHECK(missing.empty());
  // The test hook is documented too: it is a route of the table (with --test-hooks).
  CHECK(documented.count({"/v1/debug/stall", "POST"}) == 1);
  CHECK(documented.count({"/v1/openapi.json", "HEAD"}) == 1);
}

TEST_CASE("the route check names each route missing from either side", "[http][openapi]") {
  const std::set<route> table = {{"/a", "GET"}, {"/a", "HEAD"}, {"/b", "POST"}, {"/p", "POST"}};
  const std::set<route> doc = {{"/a", "GET"}, {"/c", "DELETE"}, {"/b", "POST"}, {"/q", "PUT"}};
  const auto lines = differences(table, doc, {{"/p", "POST"}, {"/q", "PUT"}});
  CHECK(lines ==
        std::vector<std::string>{"HEAD /a: in the route table (implied by its GET), missing from "
                                 "docs/openapi.yaml",
                                 "POST /p: in the route table now; take it out of pending_on_main",
                                 "DELETE /c: in docs/openapi.yaml, missing from the route table"});
  CHECK(differences(table, table, {}).empty());
}

TEST_CASE("GET /v1/openapi.json serves the document to anyone, HEAD its headers",
          "[http][openapi]") {
  temp_dir dir;
  const std::string token = "openapi-test-Token.1";
  daemon_process daemon{{"--auth-token-file", token_file(dir, token)}};
  http_client c{daemon.port()};

  // Open like /v1/version: no token needed while tokens are configured.
  const auto get = c.get("/v1/openapi.json");
  REQUIRE(get.status == 200);
  CHECK(get.header("content-type") == "application/json");
  CHECK(get.header("cache-control") == "no-cache");
  const json doc = json::parse(get.body);
  CHECK(doc.at("openapi") == "3.1.0");
  CHECK(doc.at("paths").contains("/v1/openapi.json"));
  CHECK(doc == embedded_document());

  const auto head = c.request("HEAD", "/v1/openapi.json");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.header("content-length") == std::to_string(get.body.size()));
  CHECK(head.header("content-type") == "application/json");

  // A wrong token is said so, as on every open route.
  const auto wrong =
      c.request("GET", "/v1/openapi.json", "", {{"Authorization", "Bearer not-the-token"}});
  CHECK(wrong.status == 401);
  // Another method is a 405 naming GET and HEAD (told to an admin token only).
  const auto post =
      c.request("POST", "/v1/openapi.json", "", {{"Authorization", "Bearer " + token}});
  CHECK(post.status == 405);
  CHECK(post.header("allow") == "GET, HEAD");
}
