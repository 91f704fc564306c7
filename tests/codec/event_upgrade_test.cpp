// Event schema v3: fire_decided bodies carry origin and cursor; v2 bodies are upgraded on read
// from their reason, and the one kind that cannot tell is marked for v2's rule.
#include <catch2/catch.hpp>

#include <string>

#include "codec/checkpoint.hpp"
#include "codec/events.hpp"
#include "model/decider.hpp"
#include "tests/support/unit_model.hpp"

namespace codec = vigil::codec;
namespace m = vigil::model;

namespace {

/// A fire_decided body as v2 wrote it (keys sorted, no origin or cursor).
std::string v2_body(const std::string& kind, const std::string& reason, const std::string& at,
                    const std::string& nominal, const std::string& last) {
  return R"({"at":")" + at + R"(","cancels":[],"count":1,"job":"j","kind":")" + kind +
         R"(","last":")" + last + R"(","nominal":")" + nominal + R"(","reason":")" + reason +
         R"(","run_id":""})";
}

m::fire_decided decoded(int version, const std::string& body) {
  auto e = codec::decode_event("fire_decided", version, body);
  REQUIRE(e);
  REQUIRE(std::holds_alternative<m::fire_decided>(*e));
  return std::get<m::fire_decided>(*e);
}

const std::string t = "2026-11-28T04:30:46.000Z";
const std::string later = "2026-11-28T04:30:47.449Z";
const std::string t2 = "2026-11-28T04:31:46.000Z";

}  // namespace

TEST_CASE("a v2 decision is upgraded by its reason: origin, and the cursor v2's apply moved",
          "[codec][events][schema]") {
  const auto last = *m::parse_rfc3339(t2);
  struct row {
    const char* kind;
    const char* reason;
    m::decision_origin origin;
    bool moves;
  };
  for (const row r : {row{"fired", "schedule", m::decision_origin::schedule, true},
                      row{"buffered", "schedule", m::decision_origin::schedule, true},
                      row{"fired", "catchup", m::decision_origin::catchup, true},
                      row{"missed", "misfire", m::decision_origin::schedule, true},
                      row{"missed", "paused", m::decision_origin::schedule, true},
                      row{"skipped", "overlap", m::decision_origin::schedule, true},
                      row{"skipped", "buffer_full", m::decision_origin::schedule, true},
                      row{"fired", "manual", m::decision_origin::manual, false},
                      row{"buffered", "manual", m::decision_origin::manual, false}}) {
    INFO(r.kind << " " << r.reason);
    // Decided after its nominal time: the schedule's own skips are told from manual ones.
    const auto d = decoded(2, v2_body(r.kind, r.reason, later, t, t2));
    CHECK(m::to_string(d.reason) == std::string(r.reason));
    CHECK(d.origin == r.origin);
    CHECK(d.cursor == (r.moves ? std::optional<m::wall_time>{last} : std::nullopt));
    CHECK_FALSE(d.legacy_cursor);
  }
  // A skip decided in the millisecond of its nominal time is what every manual skip is, and
  // what the schedule's own is when the cycle ran on time: v2's body cannot tell.
  for (const char* reason : {"overlap", "buffer_full"}) {
    INFO(reason);
    const auto d = decoded(2, v2_body("skipped", reason, t, t, t));
    CHECK_FALSE(d.cursor);
    CHECK(d.legacy_cursor);
  }
  // Job events appeared at v2; a v1 number on one reads as v2 did.
  CHECK(decoded(1, v2_body("fired", "schedule", t, t, t)).cursor == m::parse_rfc3339(t));
  // A reason v2 never wrote is not guessed at.
  CHECK_FALSE(codec::decode_event("fire_decided", 2, v2_body("fired", "whim", t, t, t)));
}

TEST_CASE("a v3 decision says its origin and cursor, and reads back the same",
          "[codec][events][schema]") {
  CHECK(m::event_schema_version == 3);
  m::fire_decided d;
  d.job = "j";
  d.nominal = d.last = *m::parse_rfc3339(t);
  d.at = *m::parse_rfc3339(later);
  d.kind = m::decision_kind::skipped;
  d.origin = m::decision_origin::catchup;
  d.reason = m::decision_reason::buffer_full;
  d.cursor = d.last;
  const std::string body = codec::encode_event(d);
  CHECK(body == R"({"at":")" + later + R"(","cancels":[],"count":1,"cursor":")" + t +
                    R"(","job":"j","kind":"skipped","last":")" + t + R"(","nominal":")" + t +
                    R"(","origin":"catchup","reason":"buffer_full","run_id":""})");
  CHECK(decoded(3, body) == d);
  d.origin = m::decision_origin::manual;
  d.cursor.reset();
  CHECK(decoded(3, codec::encode_event(d)) == d);
  // Never written: an event read from a v2 body that cannot tell is re-encoded as it is.
  d.legacy_cursor = true;
  CHECK_FALSE(decoded(3, codec::encode_event(d)).legacy_cursor);

  // v3 bodies must say: a v2-shaped body (no origin, no cursor) is not a v3 one.
  const std::string v2 = v2_body("fired", "schedule", t, t, t);
  CHECK_FALSE(codec::decode_event("fire_decided", 3, v2));
  m::fire_decided plain;  // the schedule's, fired, cursor not set
  plain.job = "j";
  const std::string good = codec::encode_event(plain);
  REQUIRE(decoded(3, good).origin == m::decision_origin::schedule);
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string b = good;
    const auto at = b.find(from);
    REQUIRE(at != std::string::npos);
    return b.replace(at, from.size(), to);
  };
  CHECK_FALSE(codec::decode_event("fire_decided", 3,
                                  replaced(R"("origin":"schedule")", R"("origin":"cron")")));
  CHECK_FALSE(codec::decode_event("fire_decided", 3, replaced(R"("cursor":null,)", "")));
  CHECK_FALSE(codec::decode_event("fire_decided", 3,
                                  replaced(R"("cursor":null)", R"("cursor":"yesterday")")));
  CHECK_FALSE(codec::decode_event("fire_decided", 3,
                                  replaced(R"("reason":"schedule")", R"("reason":"schedul")")));
}

TEST_CASE("run_started records its containment, bodies from before it read as none",
          "[codec][events][schema]") {
  m::run_started s;
  s.run_id = "j@20260101T000000Z";
  s.pid = 4242;
  s.at = *m::parse_rfc3339(t);
  const std::string old_body = codec::encode_event(s);
  CHECK(old_body == R"({"at":")" + t + R"(","job":"j","pid":4242,"run_id":"j@20260101T000000Z"})");
  auto read = codec::decode_event("run_started", 3, old_body);
  REQUIRE(read);
  CHECK_FALSE(std::get<m::run_started>(*read).contained);

  s.contained = m::containment{"/sys/fs/cgroup/vigil-1/run-j@20260101T000000Z-1", 4242, 987};
  const std::string body = codec::encode_event(s);
  CHECK(body ==
        R"({"at":")" + t +
            R"(","containment":{"cgroup":"/sys/fs/cgroup/vigil-1/run-j@20260101T000000Z-1",)"
            R"("pgid":4242,"start_time":987},"job":"j","pid":4242,)"
            R"("run_id":"j@20260101T000000Z"})");
  read = codec::decode_event("run_started", 3, body);
  REQUIRE(read);
  CHECK(std::get<m::run_started>(*read) == s);
  s.contained = m::containment{"", 77, 5};  // a process group
  read = codec::decode_event("run_started", 3, codec::encode_event(s));
  REQUIRE(read);
  CHECK(std::get<m::run_started>(*read) == s);
  // A containment that is not an object is not a run_started body.
  CHECK_FALSE(codec::decode_event(
      "run_started", 3,
      R"({"at":")" + t + R"(","containment":"cgroup","job":"j","pid":1,"run_id":"j@x"})"));
}

TEST_CASE("a checkpoint keeps a running run's containment", "[codec][state]") {
  auto spec = vigil::test::shared_spec("j", "@yearly");
  spec->orphans = m::orphan_policy::wait;
  m::fire_decided d;
  d.job = "j";
  d.nominal = d.last = *m::parse_rfc3339(t);
  d.cursor = d.last;
  d.run_id = "j@20261128T043046Z";
  d.at = d.nominal;
  m::run_started s{d.run_id, 77, *m::parse_rfc3339(later),
                   m::containment{"/sys/fs/cgroup/vigil-1/run-j@20261128T043046Z-1", 77, 9}};
  const m::state st = m::fold({m::job_defined{spec, true, d.at, "test"}, d, s});
  REQUIRE(st.runs.at(d.run_id).contained == s.contained);
  const std::string body = codec::encode_state(st);
  const auto back = codec::decode_state(body);
  REQUIRE(back);
  CHECK(back->runs.at(d.run_id).contained == s.contained);
  CHECK(back->jobs.at("j")->spec->orphans == m::orphan_policy::wait);
  CHECK(*back == st);
}

TEST_CASE("a checkpoint keeps a retried run's earlier attempts and a job's backfilled times",
          "[codec][state]") {
  auto spec = vigil::test::shared_spec("j", "@yearly");
  spec->retry.max_attempts = 2;
  const auto t0 = *m::parse_rfc3339(t);
  m::fire_decided d;
  d.job = "j";
  d.nominal = d.last = t0 - std::chrono::hours(48);
  d.origin = m::decision_origin::backfill;
  d.reason = m::decision_reason::backfill;
  d.run_id = m::make_run_id("j", d.nominal, false);
  d.at = t0;
  m::run_finished f;
  f.run_id = d.run_id;
  f.outcome = m::run_outcome::failed;
  f.exit_code = 4;
  f.error = "exit status 4";
  f.at = t0 + std::chrono::seconds(2);
  const m::state st =
      m::fold({m::job_defined{spec, true, t0 - std::chrono::hours(1), "test"}, d,
               m::run_started{d.run_id, 77, t0 + std::chrono::seconds(1), std::nullopt}, f,
               m::retry_scheduled{d.run_id, 2, t0 + std::chrono::seconds(12), f.at}});
  REQUIRE(st.runs.at(d.run_id).earlier.size() == 1);
  REQUIRE(st.jobs.at("j")->backfilled.size() == 1);
  const auto back = codec::decode_state(codec::encode_state(st));
  REQUIRE(back);
  CHECK(back->runs.at(d.run_id).earlier == st.runs.at(d.run_id).earlier);
  CHECK(back->runs.at(d.run_id).earlier[0].error == "exit status 4");
  CHECK(back->jobs.at("j")->backfilled == st.jobs.at("j")->backfilled);
  CHECK(*back == st);
  // The encoding is checked as it is read: ranges out of order are refused.
  std::string body = codec::encode_state(st);
  const auto at = body.find("\"backfilled\":[[");
  REQUIRE(at != std::string::npos);
  const auto close = body.find("]]", at);
  const std::string range = body.substr(at + 14, close - at - 13);  // ["first","last"]
  body.replace(at + 14, close - at - 13, range + "," + range);
  CHECK_FALSE(codec::decode_state(body));
}
