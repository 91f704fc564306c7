// The exact event stream under load, against the vigil binary: 20 jobs firing in the same
// instants (and a pause/resume storm), several event-stream subscribers and GET /v1/events
// pollers from seq 0 and from the middle; every seq arrives exactly once, in order, with no
// reset, and the last one is the log's end as GET /v1/events reports it once the load stops;
// a truly foreign position still gets its one reset on a busy daemon.
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/sys_stream.hpp"

namespace {

/// What one reader saw: the seqs in arrival order and anything that is not an event.
struct reader_log {
  uint64_t after = 0;  ///< where it started
  std::vector<uint64_t> seqs;
  std::vector<std::string> others;  ///< resets, closes: "event: data"
};

/// The log's end as GET /v1/events reports it.
uint64_t log_end(http_client& c) {
  const auto r = c.get("/v1/events?after=0&limit=1");
  REQUIRE(r.status == 200);
  return json::parse(r.body)["last_seq"].get<uint64_t>();
}

/// Follows the event stream from `log.after` until `stop` is set and `target` (set with it) is
/// reached, or the deadline passes.
void follow_stream(uint16_t port, reader_log& log, const std::atomic<bool>& stop,
                   const std::atomic<uint64_t>& target) {
  sse_client s{port, "/v1/stream/events?after=" + std::to_string(log.after)};
  if (s.status() != 200) {
    log.others.push_back("status " + std::to_string(s.status()));
    return;
  }
  const auto deadline = clock_type::now() + 120s;
  while (clock_type::now() < deadline) {
    if (stop && (log.seqs.empty() ? log.after : log.seqs.back()) >= target) return;
    auto e = s.next_event(200ms);
    if (!e) {
      if (s.ended()) return;
      continue;
    }
    if (e->event == "heartbeat") continue;
    if (e->event != "event") {
      log.others.push_back(e->event + ": " + e->data);
      continue;
    }
    log.seqs.push_back(std::stoull(e->id));
  }
}

/// Polls GET /v1/events from `log.after`, page after page, the way a long-poller catches up.
void follow_polls(uint16_t port, reader_log& log, const std::atomic<bool>& stop,
                  const std::atomic<uint64_t>& target) {
  http_client c{port};
  uint64_t at = log.after;
  const auto deadline = clock_type::now() + 120s;
  while (clock_type::now() < deadline) {
    if (stop && at >= target) return;
    const auto r = c.get("/v1/events?limit=50&after=" + std::to_string(at));
    if (r.status != 200) {
      log.others.push_back("status " + std::to_string(r.status) + ": " + r.body);
      return;
    }
    const json page = json::parse(r.body);
    for (const auto& e : page["events"]) {
      at = e["seq"].get<uint64_t>();
      log.seqs.push_back(at);
    }
    if (page["events"].empty()) std::this_thread::sleep_for(20ms);  // a poll interval
  }
}

/// Every seq after the start exactly once, in order, nothing else, the last one the log's end.
void expect_exact(const reader_log& log, uint64_t end, const std::string& who) {
  INFO(who << " from " << log.after << ": " << log.seqs.size() << " events");
  std::string others;
  for (const auto& o : log.others) others += o.substr(0, 120) + "\n";
  INFO(log.others.size() << " other events:\n" << others);
  CHECK(log.others.empty());
  uint64_t duplicates_or_gaps = 0;
  uint64_t expected = log.after + 1;
  for (uint64_t seq : log.seqs) {
    if (seq != expected) ++duplicates_or_gaps;
    expected = seq + 1;
  }
  CHECK(duplicates_or_gaps == 0);
  CHECK(log.seqs.size() == end - log.after);
  REQUIRE(!log.seqs.empty());
  CHECK(log.seqs.back() == end);
}

json every_job(int i, const std::string& period) {
  return {{"id", "j" + std::to_string(i)},
          {"schedule", "@every " + period},
          {"command", {{"argv", {"/bin/true"}}}}};
}

/// Runs `load` (on this thread) while readers follow the log: two streams and a poller from 0;
/// `load` calls its argument once the log has grown, which adds a stream and a poller from the
/// middle. Afterwards each must have seen the log exactly.
void check_readers_under(
    daemon_process& d,
    const std::function<void(http_client&, const std::function<void()>&)>& load) {
  http_client c{d.port()};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> target{0};
  std::vector<std::unique_ptr<reader_log>> streams, polls;
  std::vector<std::thread> threads;
  auto start = [&](bool stream, uint64_t after) {
    auto& list = stream ? streams : polls;
    list.push_back(std::make_unique<reader_log>());
    reader_log& log = *list.back();
    log.after = after;
    threads.emplace_back([&, stream, port = d.port()] {
      if (stream)
        follow_stream(port, log, stop, target);
      else
        follow_polls(port, log, stop, target);
    });
  };
  start(true, 0);
  start(true, 0);
  start(false, 0);
  http_client probe{d.port()};
  bool joined = false;
  load(c, [&] {
    const uint64_t middle = log_end(probe);
    start(true, middle / 2);
    start(false, middle / 2);
    joined = middle >= 20;
  });
  // The load has stopped (every job paused): the log is complete once no run is starting,
  // running, buffered or waiting for a retry and the snapshot has applied the journal's end.
  uint64_t end = 0;
  bool settled = false;
  for (auto until = clock_type::now() + 20s; !settled && clock_type::now() < until;) {
    const auto h = json::parse(probe.get("/health").body);
    const auto& runs = h["jobs"]["runs"];
    end = log_end(probe);
    settled = runs["starting"] == 0 && runs["running"] == 0 && runs["buffered"] == 0 &&
              runs["retry_wait"] == 0 && h["snapshot"]["log_seq"] == end;
    if (!settled) std::this_thread::sleep_for(50ms);  // a poll interval
  }
  REQUIRE(settled);
  target = end;
  stop = true;
  for (auto& t : threads) t.join();
  std::string figures = "log end " + std::to_string(end) + ";";
  for (const auto& l : streams)
    figures += " stream from " + std::to_string(l->after) + ": " + std::to_string(l->seqs.size()) +
               " events, " + std::to_string(l->others.size()) + " others;";
  for (const auto& l : polls)
    figures += " poller from " + std::to_string(l->after) + ": " + std::to_string(l->seqs.size()) +
               " events;";
  WARN(figures);  // the figures, shown whether or not the checks below pass
  CHECK(joined);
  for (size_t i = 0; i < streams.size(); ++i)
    expect_exact(*streams[i], end, "stream " + std::to_string(i));
  for (size_t i = 0; i < polls.size(); ++i)
    expect_exact(*polls[i], end, "poller " + std::to_string(i));
}

}  // namespace

TEST_CASE("20 jobs firing in the same instants for 30 s: every reader sees each seq once, in order",
          "[http][stream][exact]") {
  daemon_process d{{"--tick-interval", "50ms"}};
  check_readers_under(d, [](http_client& c, const std::function<void()>& join_middle) {
    for (int i = 0; i < 20; ++i)
      REQUIRE(c.post("/v1/jobs", every_job(i, "1s").dump()).status == 201);
    // The load itself: 30 s of the jobs firing together, readers joining after 5 s.
    std::this_thread::sleep_for(5s);
    join_middle();
    std::this_thread::sleep_for(25s);
    for (int i = 0; i < 20; ++i)
      REQUIRE(c.post("/v1/jobs/j" + std::to_string(i) + "/pause").status == 200);
  });
}

TEST_CASE("a pause/resume storm with jobs firing: every reader sees each seq once, in order",
          "[http][stream][exact]") {
  daemon_process d{{"--tick-interval", "20ms"}};
  check_readers_under(d, [](http_client& c, const std::function<void()>& join_middle) {
    for (int i = 0; i < 5; ++i)
      REQUIRE(c.post("/v1/jobs", every_job(i, "1s").dump()).status == 201);
    const auto until = clock_type::now() + 8s;
    for (int n = 0; clock_type::now() < until; ++n) {
      if (n == 20) join_middle();
      REQUIRE(c.post("/v1/scheduler/pause", R"({"reason":"storm"})").status == 200);
      REQUIRE(c.post("/v1/scheduler/resume").status == 200);
      const std::string job = "/v1/jobs/j" + std::to_string(n % 5);
      REQUIRE(c.post(job + "/pause").status == 200);
      REQUIRE(c.post(job + "/resume").status == 200);
    }
    for (int i = 0; i < 5; ++i)
      REQUIRE(c.post("/v1/jobs/j" + std::to_string(i) + "/pause").status == 200);
  });
}

TEST_CASE("on a busy daemon a truly foreign position gets one reset, then the log exactly",
          "[http][stream][exact]") {
  daemon_process d{{"--tick-interval", "50ms"}};
  http_client c{d.port()};
  for (int i = 0; i < 5; ++i) REQUIRE(c.post("/v1/jobs", every_job(i, "1s").dump()).status == 201);
  const auto until = clock_type::now() + 20s;
  while (clock_type::now() < until && log_end(c) < 10) std::this_thread::sleep_for(50ms);
  REQUIRE(log_end(c) >= 10);

  sse_client s{d.port(), "/v1/stream/events?after=1000000"};
  REQUIRE(s.status() == 200);
  std::optional<vigil::test::sse_event> reset;
  while (!reset || reset->event == "heartbeat") reset = s.next_event(10s);
  INFO(reset->event << " " << reset->data);
  REQUIRE(reset->event == "reset");
  const json data = json::parse(reset->data);
  const uint64_t position = data["position"].get<uint64_t>();
  CHECK(reset->id == std::to_string(position));
  CHECK(position >= 10);
  CHECK(position <= log_end(c));
  for (uint64_t seq = position + 1; seq <= position + 30; ++seq) {
    auto e = s.next_event(10s);
    REQUIRE(e);
    if (e->event == "heartbeat") {
      --seq;
      continue;
    }
    INFO(e->event << " " << e->id);
    REQUIRE(e->event == "event");
    REQUIRE(e->id == std::to_string(seq));
  }
}
