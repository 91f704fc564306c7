// The streams seen from a real SSE client on loopback, against the vigil binary: the snapshot
// stream (current snapshot first, ids only increase, resume and resync, heartbeats), the durable
// event stream (strictly after a position, across a restart, filters, reset beyond the end), the
// long-poll snapshot, the client cap, 200 stalled clients that cost bounded memory and are cut off
// after the write timeout while /health keeps answering, and the final event on shutdown.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "tests/support/raw_connection.hpp"
#include "tests/support/sys_stream.hpp"

namespace {

sse_options resume_from(const std::string& last_event_id) {
  sse_options o;
  o.last_event_id = last_event_id;
  return o;
}

/// An event must come within `timeout` (generous: it bounds a failure, it is not a speed claim).
sse_event expect_event(sse_client& s, std::chrono::milliseconds timeout = 10s) {
  auto e = s.next_event(timeout);
  INFO("stream ended: " << s.ended());
  REQUIRE(e.has_value());
  return *e;
}

json data_of(const sse_event& e) {
  const json j = json::parse(e.data, nullptr, false);
  INFO("data: " << e.data);
  REQUIRE(j.is_object());
  return j;
}

/// `<epoch>:<version>` of a snapshot body.
std::string id_of(const json& snap) {
  return snap["epoch"].get<std::string>() + ":" + std::to_string(snap["version"].get<uint64_t>());
}

/// The snapshot stream id equal to GET /v1/snapshot's ETag `"<epoch>-<version>"`.
std::string id_from_etag(const std::string& etag) {
  REQUIRE(etag.size() > 2);
  std::string inner = etag.substr(1, etag.size() - 2);
  const size_t dash = inner.rfind('-');
  REQUIRE(dash != std::string::npos);
  inner[dash] = ':';
  return inner;
}

/// GET /v1/snapshot once the first cycle ran (state running): with a long tick, nothing
/// changes after that until a command is sent.
vigil::test::http_response running_snapshot(http_client& c) {
  const auto until = clock_type::now() + 20s;
  while (clock_type::now() < until) {
    auto r = c.get("/v1/snapshot");
    if (r.status == 200 && json::parse(r.body)["scheduler"]["state"] == "running") return r;
  }
  FAIL("the scheduler did not reach 'running' within 20 s");
  return {};
}

json streams(http_client& c) {
  const auto r = c.get("/v1/streams");
  REQUIRE(r.status == 200);
  return json::parse(r.body);
}

/// `pairs` pause/resume pairs: events 2k-1 (scheduler_paused) and 2k (scheduler_resumed).
void make_events(http_client& c, int pairs) {
  for (int i = 0; i < pairs; ++i) {
    REQUIRE(c.post("/v1/scheduler/pause", R"({"reason":"stream test"})").status == 200);
    REQUIRE(c.post("/v1/scheduler/resume").status == 200);
  }
}

/// Reads `count` events of type "event" and checks they are seq first, first+1, ... exactly.
void expect_seqs(sse_client& s, uint64_t first, uint64_t count) {
  for (uint64_t seq = first; seq < first + count; ++seq) {
    const sse_event e = expect_event(s);
    INFO("expected seq " << seq << ", got event '" << e.event << "' id '" << e.id << "' "
                         << e.data);
    REQUIRE(e.event == "event");
    REQUIRE(e.id == std::to_string(seq));
    const json d = data_of(e);
    REQUIRE(d["seq"] == seq);
    CHECK(d["type"] == (seq % 2 ? "scheduler_paused" : "scheduler_resumed"));
  }
}

/// The error body of a refused request names the field.
void expect_bad_field(const vigil::test::http_response& r, const std::string& field) {
  INFO(r.body);
  CHECK(r.status == 400);
  const json j = json::parse(r.body, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["error"] == "invalid_argument");
  CHECK(j["field"] == field);
}

}  // namespace

TEST_CASE("the snapshot stream starts with the current snapshot and its ids only increase",
          "[http][stream]") {
  daemon_process d{{"--tick-interval", "5ms"}};
  sse_client s{d.port(), "/v1/stream/snapshots"};
  REQUIRE(s.status() == 200);
  CHECK(s.header("content-type").rfind("text/event-stream", 0) == 0);
  CHECK(s.header("cache-control") == "no-store");
  CHECK(s.header("x-accel-buffering") == "no");

  const sse_event first = expect_event(s);
  REQUIRE(first.event == "snapshot");
  REQUIRE(s.retry_ms().has_value());  // the hint comes before the first event
  CHECK(*s.retry_ms() > 0);
  const json snap = data_of(first);
  CHECK(first.id == id_of(snap));
  CHECK(snap["resync"] == false);  // a fresh connect is not a resync
  CHECK(snap["coalesced"].is_number_unsigned());
  const std::string epoch = snap["epoch"];

  uint64_t last = snap["version"];
  int snapshots = 0;
  while (snapshots < 20) {
    const sse_event e = expect_event(s);
    if (e.event != "snapshot") continue;  // heartbeats may come between snapshots
    const json j = data_of(e);
    INFO("event id " << e.id << " after version " << last);
    CHECK(e.id == id_of(j));
    CHECK(j["epoch"] == epoch);
    REQUIRE(j["version"].get<uint64_t>() > last);
    CHECK(j["coalesced"].is_number_unsigned());
    CHECK(j["resync"] == false);
    last = j["version"];
    ++snapshots;
  }
}

TEST_CASE("resuming the snapshot stream with the current id resends nothing, any other id resyncs",
          "[http][stream]") {
  // A tick of a minute: after the first cycle the snapshot does not change during the test.
  daemon_process d{{"--tick-interval", "1m", "--stream-heartbeat", "200ms"}};
  http_client c{d.port()};
  const auto current = running_snapshot(c);
  const json snap = json::parse(current.body);
  const std::string id = id_from_etag(current.header("etag"));
  REQUIRE(id == id_of(snap));
  const std::string epoch = snap["epoch"];
  const uint64_t version = snap["version"];
  REQUIRE(version >= 2);

  SECTION("the current id: the next event is a heartbeat, not the snapshot again") {
    sse_client s{d.port(), "/v1/stream/snapshots", resume_from(id)};
    REQUIRE(s.status() == 200);
    const sse_event e = expect_event(s);
    INFO(e.event << " " << e.data);
    CHECK(e.event == "heartbeat");
    CHECK(data_of(e)["version"] == version);
    CHECK(s.last_event_id().empty());  // nothing with an id was sent
  }
  SECTION("an older version of the same epoch: the current snapshot, marked as a resync") {
    const std::string older = epoch + ":" + std::to_string(version - 1);
    for (const std::string& last : {older, epoch + ":0"}) {
      INFO("Last-Event-ID " << last);
      sse_client s{d.port(), "/v1/stream/snapshots", resume_from(last)};
      const sse_event e = expect_event(s);
      REQUIRE(e.event == "snapshot");
      CHECK(e.id == id);
      CHECK(data_of(e)["resync"] == true);
    }
  }
  SECTION("a foreign epoch or an id that is no snapshot id: the current snapshot as a resync") {
    const std::string foreign =
        (epoch == "0000000000000000" ? "1111111111111111" : "0000000000000000");
    for (const std::string& last :
         {foreign + ":" + std::to_string(version), std::string{"garbage"}, std::string{"42"}}) {
      INFO("Last-Event-ID " << last);
      sse_client s{d.port(), "/v1/stream/snapshots", resume_from(last)};
      const sse_event e = expect_event(s);
      REQUIRE(e.event == "snapshot");
      CHECK(e.id == id);
      const json j = data_of(e);
      CHECK(j["resync"] == true);
      CHECK(j["epoch"] == epoch);  // the client learns the daemon's current epoch
    }
  }
}

TEST_CASE("heartbeat events carry the verdict and the snapshot's growing age, without an id",
          "[http][stream]") {
  daemon_process d{{"--tick-interval", "1m", "--stream-heartbeat", "200ms"}};
  http_client c{d.port()};
  const json snap = json::parse(running_snapshot(c).body);
  sse_client s{d.port(), "/v1/stream/snapshots"};
  const sse_event first = expect_event(s);
  REQUIRE(first.event == "snapshot");
  REQUIRE(first.id == id_of(snap));

  std::vector<json> beats;
  while (beats.size() < 2) {
    const sse_event e = expect_event(s);
    INFO(e.event << " " << e.data);
    REQUIRE(e.event == "heartbeat");  // the snapshot does not change: only heartbeats come
    CHECK(e.id.empty());              // a heartbeat does not move the client's resume position
    beats.push_back(data_of(e));
  }
  CHECK(s.last_event_id() == first.id);
  for (const json& b : beats) {
    INFO(b.dump());
    CHECK((b["status"] == "pass" || b["status"] == "warn" || b["status"] == "fail"));
    REQUIRE(b["age_seconds"].is_number());
    CHECK(b["age_seconds"].get<double>() >= 0);
    CHECK(b["epoch"] == snap["epoch"]);
    CHECK(b["version"] == snap["version"]);
  }
  // No new snapshot: the age grows from one heartbeat to the next (a stalled scheduler shows).
  CHECK(beats[1]["age_seconds"].get<double>() > beats[0]["age_seconds"].get<double>());
}

TEST_CASE("the event stream resumes strictly after a position, with no gap and no duplicate",
          "[http][stream]") {
  daemon_process d{{"--tick-interval", "50ms"}};
  http_client c{d.port()};
  running_snapshot(c);
  make_events(c, 5);  // seq 1..10

  SECTION("?after=N: N+1 onwards, then live") {
    sse_client s{d.port(), "/v1/stream/events?after=3"};
    REQUIRE(s.status() == 200);
    CHECK(s.header("content-type").rfind("text/event-stream", 0) == 0);
    CHECK(s.header("cache-control") == "no-store");
    CHECK(s.header("x-accel-buffering") == "no");
    expect_seqs(s, 4, 7);
    make_events(c, 1);  // 11, 12 arrive live
    expect_seqs(s, 11, 2);
  }
  SECTION("Last-Event-ID overrides ?after") {
    sse_client s{d.port(), "/v1/stream/events?after=2", resume_from("7")};
    REQUIRE(s.status() == 200);
    expect_seqs(s, 8, 3);
  }
  SECTION("no position: the whole log from seq 1") {
    sse_client s{d.port(), "/v1/stream/events"};
    expect_seqs(s, 1, 10);
  }
  SECTION("?types= keeps only those types, in order") {
    sse_client s{d.port(), "/v1/stream/events?after=0&types=scheduler_paused"};
    for (uint64_t seq = 1; seq <= 11; seq += 2) {
      if (seq == 11) make_events(c, 1);  // a live one too
      const sse_event e = expect_event(s);
      INFO(e.event << " " << e.id << " " << e.data);
      REQUIRE(e.event == "event");
      CHECK(e.id == std::to_string(seq));
      CHECK(data_of(e)["type"] == "scheduler_paused");
    }
  }
  SECTION("a position beyond the end of the log: an explicit reset, then live from the end") {
    sse_client s{d.port(), "/v1/stream/events?after=1000"};
    const sse_event e = expect_event(s);
    INFO(e.event << " " << e.data);
    REQUIRE(e.event == "reset");
    CHECK(e.id == "10");
    const json j = data_of(e);
    CHECK(j["position"] == 10);
    REQUIRE(j["snapshot"].is_object());
    CHECK(j["snapshot"]["log_seq"] == 10);
    make_events(c, 1);
    expect_seqs(s, 11, 2);
  }
  SECTION("a malformed ?after or Last-Event-ID is refused with 400 naming the field") {
    for (const char* bad :
         {"/v1/stream/events?after=x", "/v1/stream/events?after=-1",
          "/v1/stream/events?after=", "/v1/stream/events?after=99999999999999999999"}) {
      INFO(bad);
      expect_bad_field(c.get(bad), "after");
    }
    for (const char* bad : {"abc", "-1", "1:2", "99999999999999999999"}) {
      INFO("Last-Event-ID " << bad);
      expect_bad_field(c.request("GET", "/v1/stream/events", {}, {{"Last-Event-ID", bad}}),
                       "Last-Event-ID");
    }
  }
}

TEST_CASE("the event stream resumes by Last-Event-ID across a daemon restart, no gap, no duplicate",
          "[http][stream]") {
  temp_dir dir;
  const std::vector<std::string> args{"--data-dir", dir.path(), "--tick-interval", "50ms"};
  std::string last_id;
  std::string first_epoch;
  {
    daemon_process d{args};
    http_client c{d.port()};
    running_snapshot(c);
    make_events(c, 3);  // 1..6
    sse_client s{d.port(), "/v1/stream/events?after=0"};
    expect_seqs(s, 1, 4);  // the client has read up to 4 when the daemon goes
    last_id = s.last_event_id();
    first_epoch = json::parse(c.get("/v1/snapshot").body)["epoch"];
    d.signal(SIGTERM);
    REQUIRE(d.wait_exit(15s) == 0);
  }
  REQUIRE(last_id == "4");
  daemon_process d{args};
  http_client c{d.port()};
  running_snapshot(c);
  make_events(c, 1);  // 7, 8 by the new process
  const std::string second_epoch = json::parse(c.get("/v1/snapshot").body)["epoch"];
  REQUIRE(second_epoch != first_epoch);

  sse_client s{d.port(), "/v1/stream/events", resume_from(last_id)};
  REQUIRE(s.status() == 200);
  for (uint64_t seq = 5; seq <= 8; ++seq) {
    const sse_event e = expect_event(s);
    INFO(e.event << " " << e.id << " " << e.data);
    REQUIRE(e.event == "event");
    REQUIRE(e.id == std::to_string(seq));
    // Each event keeps the epoch of the process that wrote it.
    CHECK(data_of(e)["epoch"] == (seq <= 6 ? first_epoch : second_epoch));
  }
  make_events(c, 1);
  expect_seqs(s, 9, 2);
}

TEST_CASE("GET /v1/snapshot has an ETag, and long-polls on If-None-Match until a change or ?wait",
          "[http][stream]") {
  daemon_process d{{"--tick-interval", "1m"}};
  http_client c{d.port()};
  const auto r = running_snapshot(c);
  CHECK(r.header("cache-control") == "no-store");
  const json snap = json::parse(r.body);
  const std::string etag = r.header("etag");
  CHECK(etag == "\"" + snap["epoch"].get<std::string>() + "-" +
                    std::to_string(snap["version"].get<uint64_t>()) + "\"");

  SECTION("the current tag without ?wait: 304 at once") {
    const auto n = c.request("GET", "/v1/snapshot", {}, {{"If-None-Match", etag}});
    CHECK(n.status == 304);
    CHECK(n.header("etag") == etag);
    CHECK(n.body.empty());
  }
  SECTION("the current tag with ?wait=300ms and no change: 304, not before the wait") {
    const auto start = clock_type::now();
    const auto n = c.request("GET", "/v1/snapshot?wait=300ms", {}, {{"If-None-Match", etag}});
    const auto waited = clock_type::now() - start;
    CHECK(n.status == 304);
    CHECK(n.header("etag") == etag);
    CHECK(waited >= 300ms);
  }
  SECTION("an older tag: 200 with the current snapshot at once") {
    const std::string older = "\"" + snap["epoch"].get<std::string>() + "-1\"";
    const auto n = c.request("GET", "/v1/snapshot?wait=30s", {}, {{"If-None-Match", older}});
    CHECK(n.status == 200);
    CHECK(n.header("etag") == etag);
    CHECK(json::parse(n.body)["version"] == snap["version"]);
  }
  SECTION("the current tag with a long wait: 200 with the new snapshot as soon as it changes") {
    auto answer = std::async(std::launch::async, [&] {
      http_client poller{d.port(), 30s};
      return poller.request("GET", "/v1/snapshot?wait=20s", {}, {{"If-None-Match", etag}});
    });
    // Once the poll is parked in the hub, a command publishes a new snapshot. Until then,
    // keep publishing (each command is a new version, which would also answer the poll).
    while (answer.wait_for(0s) != std::future_status::ready) {
      REQUIRE(c.post("/v1/scheduler/resume").status == 200);
      answer.wait_for(50ms);
    }
    const auto n = answer.get();
    CHECK(n.status == 200);
    const json newer = json::parse(n.body);
    CHECK(newer["version"].get<uint64_t>() > snap["version"].get<uint64_t>());
    CHECK(n.header("etag") == "\"" + newer["epoch"].get<std::string>() + "-" +
                                  std::to_string(newer["version"].get<uint64_t>()) + "\"");
  }
  SECTION("a malformed or too long ?wait is refused with 400 naming the field") {
    for (const char* bad : {"/v1/snapshot?wait=abc", "/v1/snapshot?wait=10", "/v1/snapshot?wait=",
                            "/v1/snapshot?wait=61s", "/v1/snapshot?wait=-1s"}) {
      INFO(bad);
      expect_bad_field(c.request("GET", bad, {}, {{"If-None-Match", etag}}), "wait");
    }
  }
}

TEST_CASE("beyond --max-streams a stream gets 503 with Retry-After and a JSON error",
          "[http][stream]") {
  daemon_process d{{"--max-streams", "2", "--tick-interval", "1m", "--stream-heartbeat", "200ms"}};
  http_client c{d.port()};
  running_snapshot(c);
  auto a = std::make_unique<sse_client>(d.port(), "/v1/stream/snapshots");
  sse_client b{d.port(), "/v1/stream/events"};
  REQUIRE(a->status() == 200);
  REQUIRE(b.status() == 200);
  REQUIRE(expect_event(*a).event == "snapshot");  // both are subscribed in the hub by now

  for (const char* target : {"/v1/stream/snapshots", "/v1/stream/events?after=0"}) {
    INFO(target);
    sse_client third{d.port(), target};
    CHECK(third.status() == 503);
    CHECK(!third.header("retry-after").empty());
    CHECK(third.header("content-type").rfind("application/json", 0) == 0);
    const json j = json::parse(third.body(), nullptr, false);
    REQUIRE(j.is_object());
    CHECK(j["error"] == "unavailable");
    CHECK(j["detail"].get<std::string>().find("too many stream clients") != std::string::npos);
  }
  json st = streams(c);
  CHECK(st["refused_total"] == 2);
  CHECK(st["clients"]["snapshots"] == 1);
  CHECK(st["clients"]["events"] == 1);

  // A client that goes away frees its place: the hub notices at its next write (a heartbeat).
  a.reset();
  const auto until = clock_type::now() + 15s;
  while (clock_type::now() < until && streams(c)["clients"]["snapshots"] != 0) {
  }
  REQUIRE(streams(c)["clients"]["snapshots"] == 0);
  sse_client again{d.port(), "/v1/stream/snapshots"};
  CHECK(again.status() == 200);
  CHECK(expect_event(again).event == "snapshot");
}

TEST_CASE(
    "200 stalled clients cost bounded memory, are cut off after the write timeout, and "
    "/health keeps answering all the while",
    "[http][stream][slow]") {
  constexpr int stalled_clients = 200;
#ifdef VIGIL_SANITIZED
  // AddressSanitizer keeps freed memory in a quarantine (256 MiB by default) and pads every
  // allocation, so RSS says nothing about the daemon's own bound there: the release build of
  // this same test asserts it; the sanitized one still checks everything else.
  constexpr long rss_bound_kib = 1024 * 1024;
#else
  constexpr long rss_bound_kib = 16 * 1024;  // justified where it is checked
#endif
  // The scheduler publishes as fast as it can (1 ms); a write stuck for 2 s closes the stream.
  daemon_process d{{"--tick-interval", "1ms", "--write-timeout", "2s"}};
  const pid_t pid = d.pid();
  http_client c{d.port()};
  running_snapshot(c);
  // Warm up the paths the test uses, so the baseline includes their one-off allocations.
  {
    sse_client warm{d.port(), "/v1/stream/snapshots"};
    for (int i = 0; i < 50; ++i) expect_event(warm);
  }
  make_events(c, 5);
  const long baseline = rss_kib(pid);
  REQUIRE(baseline > 0);

  std::atomic<bool> stop{false};
  // /health all the while: every answer 200 (pass or warn), and within the 1 s deadline.
  std::atomic<long> health_answers{0}, health_bad{0}, health_max_ms{0};
  std::mutex note_mutex;
  std::string health_note;
  std::thread health([&] {
    http_client h{d.port(), 5s};
    while (!stop) {
      const auto t0 = clock_type::now();
      int status = 0;
      std::string body;
      try {
        const auto r = h.get("/health");
        status = r.status;
        body = r.body;
      } catch (const std::exception& e) {
        body = e.what();
      }
      const long ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
      if (ms > health_max_ms) health_max_ms = ms;
      ++health_answers;
      if (status != 200 || ms >= 1000) {
        ++health_bad;
        std::lock_guard<std::mutex> guard{note_mutex};
        health_note = "status " + std::to_string(status) + " after " + std::to_string(ms) +
                      " ms: " + body.substr(0, 300);
      }
    }
  });
  // Commands keep coming: each is an event and a publish, besides the 1 ms tick's.
  std::atomic<long> commands{0}, commands_bad{0};
  std::thread hammer([&] {
    http_client w{d.port(), 5s};
    for (long i = 0; !stop; ++i) {
      try {
        const auto r = w.post(i % 2 ? "/v1/scheduler/resume" : "/v1/scheduler/pause",
                              R"({"reason":"hammer"})");
        if (r.status != 200) ++commands_bad;
      } catch (const std::exception&) {
        ++commands_bad;
      }
      ++commands;
      // Paced (~200/s): each command is also an event kept by the in-memory log, whose growth
      // is not what this test measures.
      std::this_thread::sleep_for(5ms);
    }
  });
  // One client that does read: it keeps its stream, ids increasing, while the others stall.
  std::atomic<long> reader_snapshots{0}, reader_disorder{0};
  std::atomic<bool> reader_ended{false};
  auto reader_stream = std::make_unique<sse_client>(d.port(), "/v1/stream/snapshots");
  std::thread reader([&] {
    uint64_t last = 0;
    while (!stop && !reader_stream->ended()) {
      auto e = reader_stream->next_event(200ms);
      if (!e || e->event != "snapshot") continue;
      const json j = json::parse(e->data, nullptr, false);
      const uint64_t v = j.is_object() ? j.value("version", uint64_t{0}) : 0;
      if (v <= last) ++reader_disorder;
      last = v;
      ++reader_snapshots;
    }
    reader_ended = reader_stream->ended();
  });
  struct joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread*> threads;
    ~joiner() {
      stop = true;
      for (auto* t : threads)
        if (t->joinable()) t->join();
    }
  } join_all{stop, {&health, &hammer, &reader}};

  // The stalled clients: a receive buffer as small as the kernel allows, never read.
  std::vector<std::unique_ptr<vigil::test::raw_connection>> clients;
  for (int i = 0; i < stalled_clients; ++i)
    clients.push_back(vigil::test::stalled_stream(d.port(), "/v1/stream/snapshots"));
  const auto connected = clock_type::now();

  // Wait (bounded) until all are subscribed, then until all were cut off by the write timeout.
  long peak = baseline;
  json st;
  uint64_t coalesced_while_stalled = 0;
  uint64_t version_while_stalled = 0;
  const auto until = connected + 60s;
  bool all_subscribed = false;
  while (clock_type::now() < until) {
    st = streams(c);
    peak = std::max(peak, rss_kib(pid));
    if (!all_subscribed && st["clients"]["snapshots"] == stalled_clients + 1) {
      all_subscribed = true;
      coalesced_while_stalled = st["coalesced_total"];
      version_while_stalled = json::parse(c.get("/v1/snapshot").body)["version"];
    }
    if (st["disconnects"]["write_failed"].get<uint64_t>() >= stalled_clients &&
        st["clients"]["snapshots"] == 1)
      break;
    if (peak - baseline >= rss_bound_kib) break;  // failed already: do not eat the machine
  }
  const auto cut_off_after = clock_type::now() - connected;
  const long after = rss_kib(pid);
  const uint64_t version_after = json::parse(c.get("/v1/snapshot").body)["version"];
  const json final_stats = streams(c);
  stop = true;
  for (auto* t : join_all.threads) t->join();

  const double cut_off_s = std::chrono::duration<double>(cut_off_after).count();
  INFO("baseline " << baseline << " KiB, peak " << peak << " KiB, after " << after
                   << " KiB; cut off after " << cut_off_s << " s; streams " << final_stats.dump()
                   << "; /health answers " << health_answers << ", max " << health_max_ms
                   << " ms; commands " << commands << "; reader snapshots " << reader_snapshots);
  WARN("slow consumers: RSS baseline "
       << baseline << " KiB, peak " << peak << " KiB (+" << (peak - baseline) << " KiB), all "
       << stalled_clients << " cut off " << cut_off_s << " s after connecting; "
       << final_stats["coalesced_total"] << " coalesced; /health " << health_answers
       << " answers, max " << health_max_ms << " ms");
  REQUIRE(all_subscribed);
  // Memory per client is constant: 200 stalled streams (and one reader) under a 1 ms tick
  // cost less than 16 MiB over the baseline. Measured +2.9 MiB (~14 KiB per connection, see
  // the WARN line), so the bound has a 5x margin; a queue per client would pass it within a
  // fraction of a second (200 clients x ~1,000 snapshots/s x ~0.9 KB = ~180 MB/s).
  CHECK(peak - baseline < rss_bound_kib);
  // Cut off by the write timeout, all of them, and not before it. (Measured 5-7 s after
  // connecting: the daemon's kernel send buffers, autotuned up to tcp_wmem's maximum, absorb
  // writes for a few seconds before one blocks; only then does the 2 s timeout start.)
  REQUIRE(final_stats["disconnects"]["write_failed"].get<uint64_t>() >= stalled_clients);
  CHECK(cut_off_after >= 2s);
  // Newest wins: while stalled, their pending snapshots were replaced, not queued.
  CHECK(final_stats["coalesced_total"].get<uint64_t>() > coalesced_while_stalled);
  CHECK(final_stats["coalesced_total"].get<uint64_t>() >= stalled_clients);
  // Publishing went on while they were stalled.
  CHECK(version_after > version_while_stalled + 100);
  // The reading client was never cut off, and the others no longer count.
  CHECK(!reader_ended);
  CHECK(reader_disorder == 0);
  CHECK(reader_snapshots > 0);
  CHECK(final_stats["clients"]["snapshots"] == 1);
  // /health answered 200 within its deadline throughout.
  {
    std::lock_guard<std::mutex> guard{note_mutex};
    INFO(health_note);
    CHECK(health_answers > 0);
    CHECK(health_bad == 0);
  }
  CHECK(commands > 0);
  CHECK(commands_bad == 0);

  // The server really closed them: each stalled socket reaches end-of-stream once drained.
  int closed = 0;
  const auto drain_until = clock_type::now() + 30s;
  for (auto& client : clients) {
    char buf[65536];
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(drain_until - clock_type::now());
      pollfd p{client->fd(), POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      const ssize_t n = ::recv(client->fd(), buf, sizeof buf, 0);
      if (n <= 0) {
        ++closed;
        break;
      }
    }
  }
  CHECK(closed == stalled_clients);
}

TEST_CASE("on SIGTERM every open stream gets a final close event, and the daemon exits 0",
          "[http][stream]") {
  daemon_process d{{"--tick-interval", "50ms"}};
  http_client c{d.port()};
  running_snapshot(c);
  sse_client snapshots{d.port(), "/v1/stream/snapshots"};
  sse_client events{d.port(), "/v1/stream/events?after=0"};
  REQUIRE(expect_event(snapshots).event == "snapshot");
  make_events(c, 1);
  expect_seqs(events, 1, 2);

  d.signal(SIGTERM);
  for (sse_client* s : {&snapshots, &events}) {
    std::optional<sse_event> last;
    while (auto e = s->next_event(15s)) last = e;  // until the stream ends
    REQUIRE(s->ended());
    REQUIRE(last.has_value());
    INFO(last->event << " " << last->data);
    CHECK(last->event == "close");
    CHECK(data_of(*last)["reason"] == "shutting down");
  }
  CHECK(d.wait_exit(15s) == 0);
}

TEST_CASE("the event stream's ?job= passes the events of that job only, by the event's own job",
          "[http][stream][job_filter]") {
  daemon_process d{{"--tick-interval", "50ms"}};
  http_client c{d.port()};
  running_snapshot(c);
  auto define = [&](const std::string& body) {
    const auto r = c.post("/v1/jobs", body);
    INFO(r.body);
    REQUIRE(r.status == 201);
  };
  // backup's definition carries an environment variable named `job` whose value is "back":
  // its body holds the text "job":"back", and it is still not back's event.
  define(
      R"({"id":"backup","schedule":"@every 1h","command":{"argv":["/bin/true"],"env":{"job":"back"}}})");
  define(R"({"id":"back","schedule":"@every 1h","command":{"argv":["/bin/true"]}})");
  REQUIRE(c.post("/v1/jobs/backup/pause", R"({"reason":"quiet"})").status == 200);
  REQUIRE(c.post("/v1/jobs/back/pause", R"({"reason":"quiet"})").status == 200);
  REQUIRE(c.post("/v1/scheduler/pause", R"({"reason":"quiet"})").status == 200);

  sse_client s{d.port(), "/v1/stream/events?after=0&job=back"};
  REQUIRE(s.status() == 200);
  std::vector<std::string> seen;
  for (int i = 0; i < 2; ++i) {
    const sse_event e = expect_event(s);
    INFO(e.event << " " << e.data);
    REQUIRE(e.event == "event");
    const json j = data_of(e);
    seen.push_back(j["type"].get<std::string>());
    CHECK((j["body"].value("job", "") == "back" || j["body"]["spec"]["id"] == "back"));
  }
  CHECK(seen == std::vector<std::string>{"job_defined", "job_paused"});
  // Live: backup's resume and the scheduler's do not pass; back's does, and nothing before it.
  REQUIRE(c.post("/v1/jobs/backup/resume").status == 200);
  REQUIRE(c.post("/v1/scheduler/resume").status == 200);
  REQUIRE(c.post("/v1/jobs/back/resume").status == 200);
  const sse_event e = expect_event(s);
  INFO(e.data);
  CHECK(data_of(e)["type"] == "job_resumed");
  CHECK(data_of(e)["body"]["job"] == "back");
  CHECK(e.id == std::to_string(data_of(e)["seq"].get<uint64_t>()));
}
