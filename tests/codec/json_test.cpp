// The JSON codec: /health bodies, error bodies, command bodies, stored events and checkpoints.
#include "codec/checkpoint.hpp"
#include "codec/errors.hpp"
#include "codec/events.hpp"
#include "codec/health.hpp"
#include "codec/json_writer.hpp"
#include "codec/requests.hpp"

#include "model/decider.hpp"
#include "model/health.hpp"
#include "model/snapshot.hpp"
#include "model/state.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace m = vigil::model;
namespace codec = vigil::codec;

const m::wall_time t0 = m::wall_time{1'795'829'662'123ms};

m::snapshot_ptr snapshot_of(m::phase p, const m::state& s, const m::cycle_stats& cycles,
                            m::wall_time now = t0, uint64_t version = 42) {
  return m::make_snapshot({"node-a", "epoch-7"}, version, p, s, cycles, {}, 250ms, t0 - 1h, now);
}

m::cycle_stats some_cycles() {
  m::cycle_stats c;
  m::record_cycle(c, t0 - 3s, t0 - 3s + 2ms, "");
  m::record_cycle(c, t0 - 2s, t0 - 2s + 2ms, "disk full");
  m::record_cycle(c, t0 - 1s, t0 - 1s + 2ms, "");
  m::record_cycle(c, t0 - 500ms, t0 - 499ms, "disk \"really\" full");
  return c;
}

m::state paused_state() { return m::fold({m::scheduler_paused{"maintenance", t0 - 1min}}); }

m::health_report report_for(m::snapshot_ptr snap, m::duration age) {
  m::health_input in;
  in.snap = snap.get();
  in.age = age;
  in.uptime = 1h;
  m::health_report r;
  r.result = m::judge(in, {});
  r.snap = std::move(snap);
  r.age = age;
  r.time = t0 + 1s + 500'999'999ns;
  return r;
}

json parse(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

/// The field of a rejection, failing the test when the body was accepted.
m::rejection refused(const std::variant<m::command, m::rejection>& d) {
  REQUIRE(std::holds_alternative<m::rejection>(d));
  return std::get<m::rejection>(d);
}

m::command accepted(const std::variant<m::command, m::rejection>& d) {
  REQUIRE(std::holds_alternative<m::command>(d));
  return std::get<m::command>(d);
}

/// The redundant scheduler fields of one snapshot object agree.
void check_scheduler_agrees(const json& scheduler) {
  const json& cycles = scheduler.at("cycles");
  CHECK(cycles.at("total").get<uint64_t>() ==
        cycles.at("succeeded").get<uint64_t>() + cycles.at("failed").get<uint64_t>());
  CHECK(scheduler.at("paused").get<bool>() == !scheduler.at("paused_since").is_null());
}

}  // namespace

TEST_CASE("the health body carries the verdict, the time and the snapshot it was judged on",
          "[codec][health]") {
  const m::cycle_stats cycles = some_cycles();
  const auto snap = snapshot_of(m::phase::running, paused_state(), cycles, t0 + 250'700'000ns);
  const m::health_report r = report_for(snap, 1500ms);
  REQUIRE(r.result.status == m::health_status::warn);  // paused

  const json body = parse(codec::encode_health(r));
  CHECK(body.at("status") == "warn");
  CHECK(body.at("time") == "2026-11-28T01:34:23.623Z");
  CHECK(body.at("live") == true);
  CHECK(body.at("ready") == true);
  CHECK(body.at("last_updated") == m::format_rfc3339(snap->last_updated));
  CHECK(body.at("last_updated") == body.at("snapshot").at("taken_at"));
  CHECK(body.at("snapshot").at("epoch") == "epoch-7");
  CHECK(body.at("snapshot").at("version") == 42);
  CHECK(body.at("snapshot").at("log_seq") == 1);
  CHECK(body.at("snapshot").at("age_seconds").get<double>() == 1.5);

  const json& scheduler = body.at("scheduler");
  CHECK(scheduler.at("state") == "paused");
  CHECK(scheduler.at("paused") == true);
  CHECK(scheduler.at("paused_since") == m::format_rfc3339(t0 - 1min));
  CHECK(scheduler.at("pause_reason") == "maintenance");
  CHECK(scheduler.at("tick_interval_seconds").get<double>() == 0.25);
  CHECK(scheduler.at("cycles").at("total") == 4);
  CHECK(scheduler.at("cycles").at("failed") == 2);
  CHECK(scheduler.at("consecutive_failures") == 1);
  CHECK(scheduler.at("last_error") == "disk \"really\" full");
  CHECK(scheduler.at("last_success") == m::format_rfc3339(t0 - 1s + 2ms));
  check_scheduler_agrees(scheduler);
}

TEST_CASE("every check of the verdict appears once, with status, observation and thresholds",
          "[codec][health]") {
  const auto snap = snapshot_of(m::phase::running, m::state{}, some_cycles());
  const m::health_report r = report_for(snap, 4s);  // heartbeat late: warn
  const json body = parse(codec::encode_health(r));
  const json& checks = body.at("checks");
  REQUIRE(checks.is_object());
  CHECK(checks.size() == 5);
  for (const auto& c : r.result.checks) {
    INFO(c.name);
    REQUIRE(checks.contains(c.name));
    const json& entries = checks.at(c.name);
    REQUIRE(entries.is_array());
    REQUIRE(entries.size() == 1);
    const json& e = entries.at(0);
    CHECK(e.at("status") == m::to_string(c.status));
    CHECK(e.contains("observedValue"));
    CHECK(e.at("observedUnit") == c.observed_unit);
    CHECK(e.at("thresholds").is_object());
    CHECK(e.at("time") == body.at("time"));
  }
  for (const char* name : {"scheduler:heartbeat", "scheduler:progress", "scheduler:state"})
    CHECK(checks.contains(name));

  const json& heartbeat = checks.at("scheduler:heartbeat").at(0);
  CHECK(heartbeat.at("status") == "warn");
  CHECK(heartbeat.at("observedValue").get<double>() == 4.0);
  CHECK(heartbeat.at("observedUnit") == "s");
  CHECK(heartbeat.at("thresholds").at("warn").get<double>() == 2.0);
  CHECK(heartbeat.at("thresholds").at("fail").get<double>() == 6.0);
  CHECK(heartbeat.contains("output"));
  CHECK(checks.at("scheduler:state").at(0).at("observedValue") == "running");
  CHECK(checks.at("scheduler:progress").at(0).at("observedValue").get<double>() == 1.0);
}

TEST_CASE("paused in the snapshot body agrees with paused_since in every phase",
          "[codec][health]") {
  const m::cycle_stats cycles = some_cycles();
  for (const auto p :
       {m::phase::starting, m::phase::running, m::phase::draining, m::phase::stopped}) {
    for (const m::state& s : {m::state{}, paused_state()}) {
      INFO("phase " << static_cast<int>(p) << " paused " << s.paused);
      const auto snap = snapshot_of(p, s, cycles);
      check_scheduler_agrees(parse(codec::encode_health(report_for(snap, 1s))).at("scheduler"));
      check_scheduler_agrees(parse(codec::encode_snapshot(*snap)).at("scheduler"));
    }
  }
}

TEST_CASE("the snapshot body has the same shape as the health body's snapshot fields",
          "[codec][snapshot]") {
  const auto snap = snapshot_of(m::phase::running, paused_state(), some_cycles());
  const json j = parse(codec::encode_snapshot(*snap));
  CHECK(j.at("node") == "node-a");
  CHECK(j.at("epoch") == "epoch-7");
  CHECK(j.at("version") == 42);
  CHECK(j.at("log_seq") == 1);
  CHECK(j.at("last_updated") == m::format_rfc3339(snap->last_updated));
  CHECK(j.at("started_at") == m::format_rfc3339(t0 - 1h));
  CHECK(j.at("scheduler").at("state") == "paused");
  check_scheduler_agrees(j.at("scheduler"));
}

TEST_CASE("a health body without a snapshot has a null last_updated and the given status",
          "[codec][health]") {
  m::health_report r = report_for(nullptr, 0ns);
  for (const auto status :
       {m::health_status::pass, m::health_status::warn, m::health_status::fail}) {
    r.result.status = status;
    const json body = parse(codec::encode_health(r));
    CHECK(body.at("status") == m::to_string(status));
    CHECK(body.at("last_updated").is_null());
    CHECK(body.at("snapshot").is_null());
    CHECK_FALSE(body.contains("scheduler"));
    CHECK(body.at("checks").size() == 5);
  }
}

TEST_CASE("a reused health_encoder writes exactly what a fresh encode writes", "[codec][health]") {
  // The encoder caches the snapshot's own fields; a stale cache would tear a response.
  const m::cycle_stats cycles = some_cycles();
  m::cycle_stats more = cycles;
  m::record_cycle(more, t0, t0 + 1ms, "");
  const auto a = snapshot_of(m::phase::running, m::state{}, cycles, t0);
  const auto b = snapshot_of(m::phase::running, paused_state(), more, t0 + 1s, 43);
  const auto a_copy = std::make_shared<const m::snapshot>(*a);  // same content, new object

  std::vector<m::health_report> reports{
      report_for(a, 100ms), report_for(a, 1900ms),  report_for(b, 0ns), report_for(nullptr, 0ns),
      report_for(a, 4s),    report_for(a_copy, 7s), report_for(b, 3s)};
  reports[1].time += 2s;  // same snapshot, later request
  codec::health_encoder encoder;
  for (size_t i = 0; i < reports.size(); ++i) {
    INFO("report " << i);
    const std::string reused = encoder.encode(reports[i]);
    CHECK(reused == codec::encode_health(reports[i]));
    const json body = parse(reused);
    if (reports[i].snap) {
      CHECK(body.at("snapshot").at("version") == reports[i].snap->version);
      CHECK(body.at("scheduler").at("cycles").at("total") == reports[i].snap->cycles.total);
      CHECK(body.at("scheduler").at("paused") == reports[i].snap->paused_since.has_value());
      CHECK(body.at("last_updated") == m::format_rfc3339(reports[i].snap->last_updated));
      CHECK(body.at("snapshot").at("age_seconds").get<double>() == m::to_seconds(reports[i].age));
    } else {
      CHECK(body.at("last_updated").is_null());
      CHECK_FALSE(body.contains("scheduler"));
    }
    CHECK(body.at("time") == m::format_rfc3339(reports[i].time));
  }
}

TEST_CASE("an error body is {error, detail, field}, without field when none is at fault",
          "[codec][error]") {
  const json with_field = parse(
      codec::encode_error({m::errc::invalid_argument, "reason must be a \"string\"\n", "/reason"}));
  CHECK(with_field == json{{"error", "invalid_argument"},
                           {"detail", "reason must be a \"string\"\n"},
                           {"field", "/reason"}});

  const json without_field =
      parse(codec::encode_error({m::errc::unavailable, "shutting down", ""}));
  CHECK(without_field == json{{"error", "unavailable"}, {"detail", "shutting down"}});
  CHECK_FALSE(without_field.contains("field"));

  CHECK(parse(codec::encode_error({m::errc::timeout, "", ""})).at("error") == "timeout");
  CHECK(parse(codec::encode_error({m::errc::not_found, "", ""})).at("error") == "not_found");
}

TEST_CASE("an error body that quotes bytes which are not UTF-8 still encodes, with U+FFFD",
          "[codec][error]") {
  const std::string bad = "no job named \"a\xff\xfe\"";
  std::string body;
  REQUIRE_NOTHROW(body = codec::encode_error({m::errc::not_found, bad, "/a\xc3"}));
  const json j = parse(body);
  CHECK(j.at("error") == "not_found");
  CHECK(j.at("detail") == "no job named \"a\xef\xbf\xbd\xef\xbf\xbd\"");
  CHECK(j.at("field") == "/a\xef\xbf\xbd");
}

TEST_CASE("a blank scheduler command body is a command without a reason", "[codec][command]") {
  for (const char* body : {"", " ", "\r\n\t "}) {
    INFO('"' << body << '"');
    const m::command pause = accepted(codec::decode_scheduler_command(body, true));
    REQUIRE(std::holds_alternative<m::pause_scheduler>(pause));
    CHECK(std::get<m::pause_scheduler>(pause).reason.empty());
  }
  const m::command empty_object = accepted(codec::decode_scheduler_command("{}", false));
  REQUIRE(std::holds_alternative<m::resume_scheduler>(empty_object));
  CHECK(std::get<m::resume_scheduler>(empty_object).reason.empty());
}

TEST_CASE("a reason in the command body is carried into the command", "[codec][command]") {
  const m::command c = accepted(codec::decode_scheduler_command(R"({"reason":"x"})", true));
  REQUIRE(std::holds_alternative<m::pause_scheduler>(c));
  CHECK(std::get<m::pause_scheduler>(c).reason == "x");

  const m::command u =
      accepted(codec::decode_scheduler_command(R"({"reason":"d\u00e9ploiement \"v2\""})", false));
  REQUIRE(std::holds_alternative<m::resume_scheduler>(u));
  CHECK(std::get<m::resume_scheduler>(u).reason == "d\xc3\xa9ploiement \"v2\"");
}

TEST_CASE("the pause flag chooses between pause_scheduler and resume_scheduler",
          "[codec][command]") {
  for (const char* body : {"", R"({"reason":"r"})"}) {
    INFO(body);
    CHECK(std::holds_alternative<m::pause_scheduler>(
        accepted(codec::decode_scheduler_command(body, true))));
    CHECK(std::holds_alternative<m::resume_scheduler>(
        accepted(codec::decode_scheduler_command(body, false))));
  }
}

TEST_CASE("invalid JSON and non-object bodies are refused without a field", "[codec][command]") {
  for (const char* body : {"{", "reason=x", "{\"reason\":}", "{\"reason\":\"x\"} trailing"}) {
    INFO(body);
    const auto r = refused(codec::decode_scheduler_command(body, true));
    CHECK(r.code == m::errc::invalid_argument);
    CHECK(r.field.empty());
    CHECK_FALSE(r.detail.empty());
  }
  for (const char* body : {"[]", "\"x\"", "null", "5", "true", R"([{"reason":"x"}])"}) {
    INFO(body);
    const auto r = refused(codec::decode_scheduler_command(body, false));
    CHECK(r.code == m::errc::invalid_argument);
    CHECK(r.field.empty());
  }
}

TEST_CASE("a reason that is not a string is refused on /reason", "[codec][command]") {
  for (const char* body : {R"({"reason":5})", R"({"reason":null})", R"({"reason":["x"]})",
                           R"({"reason":{"text":"x"}})", R"({"reason":true})"}) {
    INFO(body);
    const auto r = refused(codec::decode_scheduler_command(body, true));
    CHECK(r.code == m::errc::invalid_argument);
    CHECK(r.field == "/reason");
  }
}

TEST_CASE("an unknown field is refused with its JSON pointer, escaped per RFC 6901",
          "[codec][command]") {
  const auto slash = refused(codec::decode_scheduler_command(R"({"a/b":1})", true));
  CHECK(slash.code == m::errc::invalid_argument);
  CHECK(slash.field == "/a~1b");

  CHECK(refused(codec::decode_scheduler_command(R"({"m~n":1})", true)).field == "/m~0n");
  CHECK(refused(codec::decode_scheduler_command(R"({"~/":1})", true)).field == "/~0~1");
  CHECK(refused(codec::decode_scheduler_command(R"({"reasons":"x"})", false)).field == "/reasons");
  CHECK(refused(codec::decode_scheduler_command(R"({"reason":"x","why":"y"})", true)).field ==
        "/why");
}

TEST_CASE("both event types survive an encode/decode round trip", "[codec][event]") {
  const m::wall_time before_1970 = m::wall_time{-86'400'123ms};
  const std::vector<m::event> events{
      m::scheduler_paused{"maintenance", t0},
      m::scheduler_resumed{"done", t0 + 90s},
      m::scheduler_paused{"", before_1970},
      m::scheduler_resumed{"quotes \" and \\ and \xc3\xa9 and \n", m::wall_time{}},
  };
  for (const auto& e : events) {
    const std::string type{m::event_type(e)};
    const std::string body = codec::encode_event(e);
    INFO(type << " " << body);
    const auto decoded = codec::decode_event(type, m::event_schema_version, body);
    REQUIRE(decoded.has_value());
    CHECK(decoded->index() == e.index());
    CHECK(*decoded == e);
  }
}

TEST_CASE("events decided live replay identically from their encoded form", "[codec][event]") {
  m::state live;
  std::vector<m::event> decoded_log;
  m::wall_time now = t0 + 777'777ns;  // sub-millisecond on purpose
  for (int i = 0; i < 20; ++i) {
    const m::command c = i % 2 == 0 ? m::command{m::pause_scheduler{"p" + std::to_string(i)}}
                                    : m::command{m::resume_scheduler{"r" + std::to_string(i)}};
    const auto d = m::decide(live, c, now);
    REQUIRE(std::holds_alternative<std::vector<m::event>>(d));
    for (const auto& e : std::get<std::vector<m::event>>(d)) {
      live = m::apply(live, e);
      ++live.log_seq;
      const auto back =
          codec::decode_event(m::event_type(e), m::event_schema_version, codec::encode_event(e));
      REQUIRE(back.has_value());
      decoded_log.push_back(*back);
    }
    now += 1s + 333'333ns;
  }
  CHECK(live.log_seq == 20);
  CHECK(m::fold(decoded_log) == live);
}

TEST_CASE("an event of unknown type, unknown schema version or malformed body is not decoded",
          "[codec][event]") {
  const std::string good = codec::encode_event(m::scheduler_paused{"x", t0});
  REQUIRE(codec::decode_event("scheduler_paused", 1, good).has_value());

  CHECK_FALSE(codec::decode_event("scheduler_exploded", 1, good).has_value());
  CHECK_FALSE(codec::decode_event("", 1, good).has_value());
  CHECK_FALSE(codec::decode_event("scheduler_paused", 0, good).has_value());
  CHECK_FALSE(codec::decode_event("scheduler_paused", -1, good).has_value());
  CHECK_FALSE(codec::decode_event("scheduler_paused", 99, good).has_value());
  CHECK_FALSE(codec::decode_event("scheduler_paused", m::event_schema_version + 1, good));

  for (const char* body : {
           "",
           "{",
           "[]",
           "null",
           R"({"reason":"x"})",
           R"({"at":"2026-11-28T01:34:22.123Z"})",
           R"({"reason":5,"at":"2026-11-28T01:34:22.123Z"})",
           R"({"reason":"x","at":5})",
           R"({"reason":"x","at":"yesterday"})",
           R"({"reason":"x","at":"2026-02-30T00:00:00.000Z"})",
       }) {
    INFO(body);
    CHECK_FALSE(codec::decode_event("scheduler_paused", 1, body).has_value());
    CHECK_FALSE(codec::decode_event("scheduler_resumed", 1, body).has_value());
  }
}

TEST_CASE("a state survives an encode/decode round trip", "[codec][state]") {
  m::state big;
  big.log_seq = 18'000'000'000'000'000'000ull;  // beyond int64: stored unsigned
  for (const m::state& s :
       {m::state{}, paused_state(),
        m::fold({m::scheduler_paused{"a \"quoted\" reason", m::wall_time{-1ms}},
                 m::scheduler_resumed{"", t0}, m::scheduler_paused{"again", t0 + 1s}}),
        big}) {
    const std::string body = codec::encode_state(s);
    INFO(body);
    const auto back = codec::decode_state(body);
    REQUIRE(back.has_value());
    CHECK(*back == s);
  }
}

TEST_CASE("an inconsistent or malformed state is rejected", "[codec][state]") {
  for (
      const char* body : {
          R"({"paused":true,"paused_since":null,"pause_reason":"x","log_seq":1})",
          R"({"paused":true,"pause_reason":"x","log_seq":1})",
          R"({"paused":true,"paused_since":"not a time","pause_reason":"x","log_seq":1})",
          R"({"paused":false,"paused_since":"2026-11-28T01:34:22.123Z","pause_reason":"","log_seq":1})",
          R"({"paused_since":null,"pause_reason":"","log_seq":1})",
          R"({"paused":"no","paused_since":null,"pause_reason":"","log_seq":1})",
          R"({"paused":false,"paused_since":null,"log_seq":1})",
          R"({"paused":false,"paused_since":null,"pause_reason":"","log_seq":-1})",
          R"({"paused":false,"paused_since":null,"pause_reason":"","log_seq":"1"})",
          R"({"paused":false,"paused_since":null,"pause_reason":""})",
          "[]",
          "",
          "{",
      }) {
    INFO(body);
    CHECK_FALSE(codec::decode_state(body).has_value());
  }
}

TEST_CASE("quote escapes text into a JSON string", "[codec]") {
  const std::string text = "a \"b\" \\ c\n\t\xc3\xa9";
  const std::string quoted = codec::quote(text);
  CHECK(quoted.front() == '"');
  CHECK(quoted.back() == '"');
  CHECK(parse(quoted).get<std::string>() == text);
}

TEST_CASE(
    "a run's binary output is stored as readable JSON: bytes that are not UTF-8 become U+FFFD",
    "[codec][jobs]") {
  m::run_finished f;
  f.run_id = "j@20260601T000000Z";
  f.outcome = m::run_outcome::succeeded;
  f.at = *m::parse_rfc3339("2026-06-01T00:00:01Z");
  // Binary noise, a tail cut in the middle of "ü", an overlong encoding and a valid "é".
  f.output = std::make_shared<const std::string>(std::string("\xff\xfe ok \xc3", 7) + "\xc0\xaf" +
                                                 "\xc3\xa9");
  const std::string body = codec::encode_event(f);
  CHECK_NOTHROW(json::parse(body));
  const auto back = codec::decode_event("run_finished", m::event_schema_version, body);
  REQUIRE(back);
  const auto& out = *std::get<m::run_finished>(*back).output;
  CHECK(out == "\xef\xbf\xbd\xef\xbf\xbd ok \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9");
}
