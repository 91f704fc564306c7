// Reads behind auth: every route's scope from the one route table, named tokens with read and
// admin scopes on the real binary, no secret in any refused answer, names (never tokens) in
// the access log, and the [[auth.tokens]] config checks.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include "http/auth.hpp"
#include "http/route_table.hpp"
#include "tests/support/scoped_env.hpp"
#include "tests/support/sys_stream.hpp"

using vigil::http::open_routes;
using vigil::http::required_scope;
using vigil::http::route_rule;
using vigil::http::scope;
using headers = std::vector<std::pair<std::string, std::string>>;

using vigil::test::scoped_env;

namespace {

const std::string read_secret = "read-Token_for.scopes~1";
const std::string admin_secret = "admin-Token_for.scopes~2";
const std::string password = "hunter2-secret";

std::vector<route_rule> all_rules() {
  return {vigil::http::route_rules_begin(), vigil::http::route_rules_end()};
}

/// A config with a read token "grafana" from a file and an admin token "ops" from the
/// environment variable VIGIL_TEST_OPS_TOKEN.
std::string scoped_config(const temp_dir& dir, const std::string& extra = "") {
  const auto file = write_file(dir, "grafana.token", read_secret + "\n", 0600);
  return write_file(dir, "vigil.toml",
                    "[auth]\n" + extra +
                        "[[auth.tokens]]\nname = \"grafana\"\nscope = \"read\"\nfile = \"" + file +
                        "\"\n[[auth.tokens]]\nname = \"ops\"\nscope = \"admin\"\n"
                        "env = \"VIGIL_TEST_OPS_TOKEN\"\n",
                    0600);
}

/// A concrete target for a route template.
std::string target_of(const std::string& path, const std::string& run_id) {
  std::string t = path;
  auto put = [&t](const std::string& from, const std::string& to) {
    const auto at = t.find(from);
    if (at != std::string::npos) t.replace(at, from.size(), to);
  };
  put("{id}", "j");
  put("{run_id}", run_id);
  put("{asset}", "console.js");
  if (t == "/v1/preview") t += "?schedule=@hourly";
  return t;
}

bool is_stream(const std::string& path) { return path.rfind("/v1/stream/", 0) == 0; }

}  // namespace

TEST_CASE("the route table gives reads scope read and everything else scope admin",
          "[auth][routes]") {
  const open_routes open;
  std::set<std::string> paths;
  for (const auto& r : all_rules()) {
    INFO(r.method << " " << r.path);
    paths.insert(r.path);
    const std::string method = r.method;
    const auto needs = required_scope(open, r.method, r.path);
    if (method != "GET") {
      CHECK(needs == scope::admin);
      CHECK(r.open_when == nullptr);
    } else if (r.open_when || std::string{r.path} == "/v1/version" ||
               std::string{r.path} == "/v1/openapi.json" ||
               std::string{r.path}.rfind("/ui", 0) == 0) {  // the console's files hold no data
      CHECK_FALSE(needs.has_value());                       // open by default
    } else {
      CHECK(needs == scope::read);
    }
  }
  // The probes and /metrics close one by one.
  open_routes closed;
  closed.health = false;
  closed.metrics = false;
  CHECK(required_scope(closed, "GET", "/health") == scope::read);
  CHECK(required_scope(closed, "GET", "/metrics") == scope::read);
  CHECK(required_scope(closed, "HEAD", "/metrics") == scope::read);  // HEAD needs what GET needs
  CHECK(required_scope(open, "HEAD", "/v1/jobs") == scope::read);
  CHECK_FALSE(required_scope(closed, "GET", "/livez").has_value());
  // What the table does not know fails closed.
  CHECK(required_scope(open, "GET", "/v1/nowhere") == scope::admin);
  CHECK(required_scope(open, "PATCH", "/v1/jobs/{id}") == scope::admin);
  CHECK(vigil::http::allowed_methods("/v1/jobs/{id}", false) == "GET, HEAD, PUT, DELETE");
  CHECK(vigil::http::allowed_methods("/v1/debug/stall", false).empty());
  CHECK(paths.count("/v1/jobs/{id}/runs/{run_id}") == 1);
}

TEST_CASE("the route table registers each route once with a handler and a router pattern",
          "[routes]") {
  using vigil::http::router_pattern;
  std::set<std::pair<std::string, std::string>> seen;
  int hooks = 0;
  for (const auto& r : all_rules()) {
    INFO(r.method << " " << r.path);
    CHECK(seen.emplace(r.path, r.method).second);  // a second entry would never be reached
    CHECK(r.handler != nullptr);
    const auto pattern = router_pattern(r.path);
    CHECK(pattern.find_first_of("{}") == std::string::npos);
    CHECK(std::count(pattern.begin(), pattern.end(), ':') ==
          std::count(r.path, r.path + std::strlen(r.path), '{'));
    if (r.test_hook) ++hooks;
  }
  CHECK(hooks == 1);  // POST /v1/debug/stall, with --test-hooks only
  CHECK(router_pattern("/v1/jobs/{id}/runs/{run_id}/output") == "/v1/jobs/:id/runs/:run_id/output");
  CHECK(router_pattern("/ui/{asset}") == "/ui/:asset");
  CHECK(router_pattern("/health") == "/health");
}

TEST_CASE("a concrete path is labelled with the table's template it fits, segment by segment",
          "[routes]") {
  using vigil::http::route_template_of;
  // Every template fits itself, and a path with values in its parameters fits it too.
  for (const auto& r : all_rules()) {
    INFO(r.path);
    CHECK(route_template_of(r.path) == r.path);
    std::string concrete = r.path;
    for (auto open = concrete.find('{'); open != std::string::npos; open = concrete.find('{'))
      concrete.replace(open, concrete.find('}', open) - open + 1, "x@1");
    CHECK(route_template_of(concrete) == r.path);
  }
  CHECK(route_template_of("/v1/jobs/backup/runs") == "/v1/jobs/{id}/runs");
  CHECK(route_template_of("/v1/jobs/run") == "/v1/jobs/{id}");  // a job named "run"
  // An empty segment fits a parameter (the gate then answers 400 naming it) ...
  CHECK(route_template_of("/v1/jobs/") == "/v1/jobs/{id}");
  CHECK(route_template_of("/v1/jobs//runs") == "/v1/jobs/{id}/runs");
  CHECK(route_template_of("/v1/jobs/a/runs/") == "/v1/jobs/{id}/runs/{run_id}");
  CHECK(route_template_of("/ui/") == "/ui/{asset}");
  // What a request counts as: the router's "/ui/" is the page, "/v1/jobs/" the list.
  CHECK(vigil::http::route_label("/ui/") == "/ui");
  CHECK(vigil::http::route_label("/v1/jobs/") == "/v1/jobs");
  CHECK(vigil::http::route_label("/v1/jobs/a/runs/") == "/v1/jobs/{id}/runs");
  CHECK(vigil::http::route_label("/") == "/");
  // ... but not a missing or an extra one: a path no route has comes back as it is.
  CHECK(route_template_of("/v1/jobs/a/b") == "/v1/jobs/a/b");
  CHECK(route_template_of("/ui/a/b") == "/ui/a/b");
  CHECK(route_template_of("/v1/nowhere") == "/v1/nowhere");
  CHECK(route_template_of("/") == "/");
}

TEST_CASE("a scope allows its own routes, admin allows all", "[auth]") {
  using vigil::http::allows;
  CHECK(allows(scope::admin, scope::read));
  CHECK(allows(scope::admin, scope::admin));
  CHECK(allows(scope::read, scope::read));
  CHECK_FALSE(allows(scope::read, scope::admin));
  CHECK(vigil::http::parse_scope("read") == scope::read);
  CHECK(vigil::http::parse_scope("admin") == scope::admin);
  CHECK_FALSE(vigil::http::parse_scope("Admin").has_value());
  CHECK_FALSE(vigil::http::parse_scope("worker").has_value());
}

TEST_CASE("a named token set tells who a header is, and the 403 names the scope, not the token",
          "[auth]") {
  const vigil::http::token_set set{std::vector<vigil::http::named_token>{
      {"grafana", scope::read, read_secret}, {"ops", scope::admin, admin_secret}}};
  const auto who = set.identify("Bearer " + read_secret);
  REQUIRE(who.outcome == vigil::http::auth_outcome::accepted);
  CHECK(who.token->name == "grafana");
  CHECK(set.identify("Bearer " + admin_secret).token->name == "ops");
  CHECK(set.identify("Bearer nope").outcome == vigil::http::auth_outcome::invalid_token);
  CHECK(set.identify("Bearer nope").token == nullptr);
  const auto r = vigil::http::forbidden_reply(*who.token, scope::admin);
  CHECK(r.status == 403);
  const auto body = json::parse(r.body);
  CHECK(body.at("error") == "forbidden");
  CHECK(body.at("detail").get<std::string>().find("needs scope admin") != std::string::npos);
  CHECK(r.body.find(read_secret) == std::string::npos);
  // Today's single tokens are admin tokens named "default".
  const vigil::http::token_set legacy{std::vector<std::string>{admin_secret}};
  CHECK(legacy.identify("Bearer " + admin_secret).token->name == "default");
  CHECK(legacy.identify("Bearer " + admin_secret).token->level == scope::admin);
}

TEST_CASE(
    "with named tokens every protected read needs one and leaks nothing without it, read "
    "gets 403 on every mutating route, admin gets all",
    "[auth][http]") {
  temp_dir dir;
  scoped_env ops{"VIGIL_TEST_OPS_TOKEN", admin_secret};
  daemon_process daemon{{"--config", scoped_config(dir), "--tick-interval", "50ms", "--log-level",
                         "debug", "--test-hooks"}};
  http_client c{daemon.port()};
  const headers as_read = {{"Authorization", "Bearer " + read_secret}};
  const headers as_admin = {{"Authorization", "Bearer " + admin_secret}};

  // A job whose environment holds a secret, and a run whose output prints it.
  const json job = {{"id", "j"},
                    {"schedule", "@every 1h"},
                    {"command",
                     {{"argv", {"/bin/sh", "-c", "echo pw=$DB_PASSWORD"}},
                      {"env", {{"DB_PASSWORD", password}}}}}};
  REQUIRE(c.request("POST", "/v1/jobs", job.dump(), as_admin).status == 201);
  const auto started = c.request("POST", "/v1/jobs/j/run", "", as_admin);
  INFO(started.body);
  REQUIRE(started.status == 200);
  const std::string run_id = json::parse(started.body).at("run_id");
  REQUIRE(eventually(10s, [&] {
    const auto r = c.request("GET", "/v1/jobs/j/runs/" + run_id, "", as_read);
    return r.status == 200 && r.body.find("pw=" + password) != std::string::npos;
  }));

  for (const auto& r : all_rules()) {
    const std::string method = r.method;
    const std::string path = r.path;
    const std::string target = target_of(path, run_id);
    INFO(method << " " << target);
    const bool open = !required_scope(open_routes{}, method, path);
    if (method == "GET" && is_stream(path)) {
      sse_client anonymous{daemon.port(), target};
      CHECK(anonymous.status() == 401);
      CHECK(anonymous.body().find(password) == std::string::npos);
      sse_options read_opts;
      read_opts.headers = as_read;
      sse_client reader{daemon.port(), target, read_opts};
      CHECK(reader.status() == 200);
      continue;
    }
    if (method == "GET") {
      const auto anonymous = c.get(target);
      CHECK(anonymous.body.find(password) == std::string::npos);
      for (const auto& [name, value] : anonymous.headers)
        CHECK(value.find(password) == std::string::npos);
      if (open) {
        CHECK(anonymous.status != 401);
      } else {
        CHECK(anonymous.status == 401);
        CHECK(anonymous.header("www-authenticate").find("Bearer realm=\"vigil\"") == 0);
        CHECK(json::parse(anonymous.body).at("error") == "unauthorized");
      }
      const auto read = c.request("GET", target, "", as_read);
      CHECK(read.status / 100 == 2);
      const auto admin = c.request("GET", target, "", as_admin);
      CHECK(admin.status / 100 == 2);
      continue;
    }
    // Mutating: nobody without a token, never the read token.
    CHECK(c.request(method, target, "").status == 401);
    const auto read = c.request(method, target, "", as_read);
    CHECK(read.status == 403);
    const auto body = json::parse(read.body);
    CHECK(body.at("error") == "forbidden");
    CHECK(body.at("detail").get<std::string>().find("needs scope admin") != std::string::npos);
  }
  // The secret is there for a token holder: the checks above were not vacuous.
  CHECK(c.request("GET", "/v1/jobs/j", "", as_read).body.find(password) != std::string::npos);

  // Admin may change things: every mutating route gets past the gate (to its own answer, which
  // may be a 400 for an empty body or a 404 once the job is gone, never a 401 or 403).
  CHECK(c.request("POST", "/v1/jobs/j/pause", "", as_admin).status == 200);
  CHECK(c.request("POST", "/v1/scheduler/pause", "", as_admin).status == 200);
  for (const auto& r : all_rules()) {
    if (std::string{r.method} == "GET") continue;
    INFO(r.method << " " << r.path);
    const auto admin = c.request(r.method, target_of(r.path, run_id), "", as_admin);
    CHECK(admin.status != 401);
    CHECK(admin.status != 403);
  }
  CHECK(c.request("DELETE", "/v1/jobs/j", "", as_admin).status == 404);  // deleted in the loop
  // A trailing slash is the same route, with the same scope.
  CHECK(c.get("/v1/jobs/j/").status == 401);
  CHECK(c.request("GET", "/v1/events/", "", as_read).status == 200);

  // A wrong token on an open route is said so, rather than quietly ignored.
  CHECK(c.request("GET", "/health", "", {{"Authorization", "Bearer wrong"}}).status == 401);

  // The debug log names the callers, never their tokens.
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait_exit(20s) == 0);
  const auto log = daemon.output();
  CHECK(log.find(read_secret) == std::string::npos);
  CHECK(log.find(admin_secret) == std::string::npos);
  CHECK(log.find(password) == std::string::npos);
  CHECK(log.find("GET /v1/jobs/j 200") != std::string::npos);
  CHECK(log.find("ms grafana") != std::string::npos);
  CHECK(log.find("ms ops") != std::string::npos);
  CHECK(log.find("GET /v1/events 401") != std::string::npos);
}

TEST_CASE("probes close one by one when configured", "[auth][http]") {
  temp_dir dir;
  scoped_env ops{"VIGIL_TEST_OPS_TOKEN", admin_secret};
  daemon_process daemon{{"--config", scoped_config(dir, "open_health = false\n")}};
  http_client c{daemon.port()};
  CHECK(c.get("/health").status == 401);
  CHECK(c.get("/livez").status == 200);
  CHECK(c.get("/metrics").status == 200);
  CHECK(c.request("GET", "/health", "", {{"Authorization", "Bearer " + read_secret}}).status ==
        200);
}

TEST_CASE("without tokens every read stays open", "[auth][http]") {
  daemon_process daemon{{}};
  http_client c{daemon.port()};
  for (const auto& r : all_rules()) {
    if (std::string{r.method} != "GET" || is_stream(r.path)) continue;
    INFO(r.path);
    const auto a = c.get(target_of(r.path, "none@1"));
    CHECK(a.status != 401);
    CHECK(a.status != 403);
  }
}

TEST_CASE("a bad [[auth.tokens]] entry stops the daemon with exit 2, naming the key",
          "[auth][config]") {
  temp_dir dir;
  const auto file = write_file(dir, "t.token", read_secret + "\n", 0600);
  struct bad_case {
    std::string toml;
    std::string says;
  };
  const std::vector<bad_case> cases = {
      {"[[auth.tokens]]\nname = \"a\"\nscope = \"read\"\nfile = \"" + file +
           "\"\n[[auth.tokens]]\nname = \"a\"\nscope = \"admin\"\nfile = \"" + file + "\"\n",
       "key 'auth.tokens[1]'.name: duplicate name \"a\""},
      {"[[auth.tokens]]\nname = \"a\"\nscope = \"writer\"\nfile = \"" + file + "\"\n",
       "key 'auth.tokens[0]'.scope: invalid value \"writer\": expected one of read|admin"},
      {"[[auth.tokens]]\nname = \"a\"\nscope = \"read\"\n",
       "key 'auth.tokens[0]': needs exactly one of file"},
      {"[[auth.tokens]]\nscope = \"read\"\nfile = \"" + file + "\"\n",
       "key 'auth.tokens[0]'.name is missing"},
      {"[[auth.tokens]]\nname = \"a\"\nscope = \"read\"\nenv = \"VIGIL_TEST_UNSET_TOKEN\"\n",
       "token 'a': env VIGIL_TEST_UNSET_TOKEN is not set or empty"},
  };
  for (const auto& k : cases) {
    const auto path = write_file(dir, "bad.toml", k.toml, 0600);
    const auto r = run_vigil({"serve", "--config", path, "--listen", "127.0.0.1:0"});
    INFO(k.toml << "\noutput: " << r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("vigil: config " + path) != std::string::npos);
    CHECK(r.output.find(k.says) != std::string::npos);
    CHECK(r.output.find(read_secret) == std::string::npos);
  }
}

TEST_CASE("vigil status and vigil watch send the token and say when it is missing or refused",
          "[auth][cli]") {
  temp_dir dir;
  scoped_env ops{"VIGIL_TEST_OPS_TOKEN", admin_secret};
  daemon_process daemon{{"--config", scoped_config(dir, "open_health = false\n")}};
  const std::string url = "http://127.0.0.1:" + std::to_string(daemon.port());

  const auto missing = run_vigil({"status", "--url", url});
  INFO(missing.output);
  CHECK(missing.exit_code == 4);
  CHECK(missing.output.find("needs a token") != std::string::npos);
  const auto wrong = run_vigil({"status", "--url", url, "--token", "not-a-known-token"});
  INFO(wrong.output);
  CHECK(wrong.exit_code == 4);
  CHECK(wrong.output.find("the token was refused") != std::string::npos);
  CHECK(wrong.output.find("not-a-known-token") == std::string::npos);
  const auto shown = run_vigil({"status", "--url", url, "--token", read_secret});
  INFO(shown.output);
  CHECK(shown.exit_code != 4);
  CHECK(shown.output.find("scheduler:heartbeat") != std::string::npos);
  CHECK(shown.output.find(read_secret) == std::string::npos);

  const auto refused = run_vigil({"watch", "--events", "--url", url});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(refused.output.find("401") != std::string::npos);
  CHECK(refused.output.find("--token") != std::string::npos);

  vigil::test::vigil_process watch{{"watch", "--events", "--url", url, "--token", read_secret}};
  CHECK(watch.wait_for_output("connected to", 10s));
  watch.signal(SIGTERM);
  CHECK(watch.wait_exit(10s) == 0);
  CHECK(watch.output().find(read_secret) == std::string::npos);
}

TEST_CASE(
    "vigil serve --print-config shows named tokens' names and sources, never their secrets, and "
    "loads "
    "again",
    "[auth][config]") {
  temp_dir dir;
  scoped_env ops{"VIGIL_TEST_OPS_TOKEN", admin_secret};
  const auto r = run_vigil({"serve", "--config", scoped_config(dir), "--print-config"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("name = \"grafana\"\nscope = \"read\"\nfile = \"" + dir.path() +
                      "/grafana.token\"") != std::string::npos);
  CHECK(r.output.find("name = \"ops\"\nscope = \"admin\"\nenv = \"VIGIL_TEST_OPS_TOKEN\"") !=
        std::string::npos);
  CHECK(r.output.find(read_secret) == std::string::npos);
  CHECK(r.output.find(admin_secret) == std::string::npos);
  const auto again = write_file(dir, "again.toml", r.output, 0600);
  const auto r2 = run_vigil({"serve", "--config", again, "--print-config"});
  INFO(r2.output);
  CHECK(r2.exit_code == 0);
  // The same tokens again (the settings now say "# file" instead of "# default").
  const auto tokens_of = [](const std::string& out) {
    return out.substr(out.find("[[auth.tokens]]"));
  };
  CHECK(tokens_of(r2.output) == tokens_of(r.output));
}
