// A running run's output against the real binary and real processes: ?offset while it runs,
// ?follow delivering every byte once in order across a reconnect with Last-Event-ID and ending
// with `end`, a flood over the cap keeping the documented tail, and stalled followers that cost
// bounded memory and are cut off by the write timeout.
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/raw_connection.hpp"
#include "tests/support/sys_replies.hpp"
#include "tests/support/sys_stream.hpp"

namespace {

/// Defines the job and runs it now; its run id.
std::string start(http_client& c, const json& job) {
  parse(c.post("/v1/jobs", job.dump()), 201);
  const json d = parse(c.post("/v1/jobs/" + job["id"].get<std::string>() + "/run"), 200);
  REQUIRE(d["kind"] == "fired");
  return d["run_id"];
}

std::string output_path(const std::string& job, const std::string& run) {
  return "/v1/jobs/" + job + "/runs/" + run + "/output";
}

/// The next event that is not a heartbeat.
std::optional<sse_event> next_data(sse_client& s, std::chrono::milliseconds timeout) {
  const auto until = clock_type::now() + timeout;
  while (clock_type::now() < until) {
    auto e = s.next_event(
        std::chrono::duration_cast<std::chrono::milliseconds>(until - clock_type::now()));
    if (e && e->event == "heartbeat") continue;
    return e;
  }
  return std::nullopt;
}

std::string lines(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i) out += "line " + std::to_string(i) + "\n";
  return out;
}

}  // namespace

TEST_CASE(
    "a running run's output: ?offset while it runs, ?follow every byte once across a "
    "reconnect, then end",
    "[http][output]") {
  daemon_process d{{}};
  http_client c{d.port()};
  constexpr int count = 30;  // a line every 100 ms: about 3 s
  const std::string run = start(
      c, {{"id", "chatty"},
          {"schedule", "0 1 1 1 *"},
          {"command",
           {{"shell", "i=1; while [ $i -le 30 ]; do echo line $i; i=$((i+1)); sleep 0.1; done"}}}});
  const std::string path = output_path("chatty", run);

  // While it runs: the bytes so far, the run not ended, read from the process itself.
  json part = parse(c.get(path + "?offset=0&wait=3000"), 200);
  CHECK(part["live"] == true);
  CHECK(part["status"] == "running");
  CHECK(part["ended"] == false);
  CHECK(part["end"].is_null());
  const std::string first = part["output"];
  REQUIRE_FALSE(first.empty());
  CHECK(lines(1, count).rfind(first, 0) == 0);  // a prefix of what it will print
  CHECK(part["next_offset"] == first.size());
  // The run record says nothing of it yet: it is recorded at the end.
  CHECK(parse(c.get("/v1/jobs/chatty/runs/" + run), 200)["output"] == "");
  // From the middle: exactly the bytes after the position.
  const json mid = parse(c.get(path + "?offset=3&max=4"), 200);
  CHECK(mid["offset"] == 3);
  CHECK(mid["output"] == lines(1, count).substr(3, 4));

  // Follow from 0, take a few events, drop the connection, resume with Last-Event-ID.
  std::string got;
  uint64_t position = 0;
  int events = 0;
  std::string last_id;
  {
    sse_client s{d.port(), path + "?follow"};
    REQUIRE(s.status() == 200);
    CHECK(s.header("content-type") == "text/event-stream");
    while (events < 5) {
      auto e = next_data(s, 10s);
      REQUIRE(e);
      REQUIRE(e->event == "output");
      const json data = json::parse(e->data);
      CHECK(data["offset"] == position);  // no gap, no byte twice
      CHECK(data["dropped"] == 0);
      got += data["data"].get<std::string>();
      position = data["offset"].get<uint64_t>() + data["data"].get<std::string>().size();
      CHECK(e->id == std::to_string(position));
      last_id = e->id;
      ++events;
    }
  }  // the client goes away mid-run
  sse_options resume;
  resume.last_event_id = last_id;
  sse_client s{d.port(), path + "?follow", resume};
  REQUIRE(s.status() == 200);
  json end;
  for (;;) {
    auto e = next_data(s, 15s);
    REQUIRE(e);
    if (e->event == "end") {
      end = json::parse(e->data);
      CHECK(e->id == std::to_string(position));  // after the last byte
      break;
    }
    REQUIRE(e->event == "output");
    const json data = json::parse(e->data);
    CHECK(data["offset"] == position);
    got += data["data"].get<std::string>();
    position += data["data"].get<std::string>().size();
  }
  CHECK(got == lines(1, count));
  CHECK(end["outcome"] == "succeeded");
  CHECK(end["exit_code"] == 0);
  CHECK(end["total"] == got.size());
  // The stream ends after `end`.
  const auto until = clock_type::now() + 10s;
  while (!s.ended() && clock_type::now() < until) s.next_event(200ms);
  CHECK(s.ended());

  // Ended: the whole output, the end, and the same bytes in the run record.
  const json all = parse(c.get(path), 200);
  CHECK(all["output"] == lines(1, count));
  CHECK(all["ended"] == true);
  CHECK(all["end"]["outcome"] == "succeeded");
  const auto recorded_until = clock_type::now() + 10s;
  json record;
  do {
    record = parse(c.get("/v1/jobs/chatty/runs/" + run), 200);
  } while (record["status"] != "succeeded" && clock_type::now() < recorded_until);
  CHECK(record["output"] == lines(1, count));
  CHECK(parse(c.get("/v1/streams"), 200)["completed_total"] >= 1);
}

TEST_CASE("a flood over the cap keeps the tail: positions, dropped and the record's marker",
          "[http][output]") {
  daemon_process d{{}};
  http_client c{d.port()};
  // 2,000 lines of 50 bytes (100,000 bytes), a cap of 1,024 bytes.
  const std::string run = start(
      c, {{"id", "flood"},
          {"schedule", "0 1 1 1 *"},
          {"output_limit", 1024},
          {"command",
           {{"shell", "i=0; while [ $i -lt 2000 ]; do printf '%049d\\n' $i; i=$((i+1)); done"}}}});
  const std::string path = output_path("flood", run);
  // A follower from 0 that reads as it comes: what it gets plus what it was told was dropped
  // covers every position exactly once, and it ends with the last line.
  sse_client s{d.port(), path + "?follow"};
  REQUIRE(s.status() == 200);
  uint64_t position = 0, received = 0, dropped = 0;
  std::string tail;
  json end;
  for (;;) {
    auto e = next_data(s, 30s);
    REQUIRE(e);
    if (e->event == "end") {
      end = json::parse(e->data);
      break;
    }
    REQUIRE(e->event == "output");
    const json data = json::parse(e->data);
    const std::string bytes = data["data"];
    CHECK(data["offset"].get<uint64_t>() == position + data["dropped"].get<uint64_t>());
    dropped += data["dropped"].get<uint64_t>();
    received += bytes.size();
    position = data["offset"].get<uint64_t>() + bytes.size();
    tail = (tail + bytes)
               .substr(tail.size() + bytes.size() > 1024 ? tail.size() + bytes.size() - 1024 : 0);
  }
  const uint64_t total = 2000 * 50;
  CHECK(end["total"] == total);
  CHECK(received + dropped == total);
  char last[64];
  std::snprintf(last, sizeof last, "%049d\n", 1999);
  CHECK(tail.size() == 1024);
  CHECK(tail.substr(tail.size() - 50) == last);

  // By offset from 0 after the end: the oldest byte kept, and how many before it were lost.
  const json from0 = parse(c.get(path + "?offset=0"), 200);
  CHECK(from0["dropped"] == total - 1024);
  CHECK(from0["offset"] == total - 1024);
  CHECK(from0["output"] == tail);
  CHECK(from0["ended"] == true);
  // The record: the documented marker line, then the same tail.
  const auto until = clock_type::now() + 10s;
  json record;
  do {
    record = parse(c.get("/v1/jobs/flood/runs/" + run), 200);
  } while (record["status"] != "succeeded" && clock_type::now() < until);
  CHECK(record["truncated"] == true);
  CHECK(record["output_bytes"] == total);
  CHECK(record["output"] == "[vigil: output truncated, " + std::to_string(total - 1024) +
                                " earlier bytes dropped]\n" + tail);
}

TEST_CASE("output: an unknown run is a 404 before any stream, bad parameters name themselves",
          "[http][output]") {
  daemon_process d{{}};
  http_client c{d.port()};
  parse(c.post("/v1/jobs", R"({"id":"j","schedule":"0 1 1 1 *","command":{"shell":"true"}})"), 201);
  for (const std::string target :
       {"/v1/jobs/j/runs/nope/output", "/v1/jobs/j/runs/nope/output?follow",
        "/v1/jobs/x/runs/nope/output?follow"}) {
    INFO(target);
    const auto r = c.get(target);
    CHECK(r.status == 404);
    CHECK(r.header("content-type") == "application/json");
  }
  for (const auto& [target, field] : {std::pair<std::string, std::string>{"?offset=x", "offset"},
                                      {"?max=0", "max"},
                                      {"?wait=30001", "wait"},
                                      {"?follow=maybe", "follow"}}) {
    INFO(target);
    const json e = parse(c.get("/v1/jobs/j/runs/nope/output" + target), 400);
    CHECK(e["field"] == field);
  }
  const json bad = parse(
      c.request("GET", "/v1/jobs/j/runs/nope/output?follow", "", {{"Last-Event-ID", "abc"}}), 400);
  CHECK(bad["field"] == "Last-Event-ID");
}

TEST_CASE(
    "200 stalled followers of a chatty run cost bounded memory and are cut off by the "
    "write timeout",
    "[http][output][slow]") {
  constexpr int stalled_clients = 200;
#ifdef VIGIL_SANITIZED
  constexpr long rss_bound_kib = 1024 * 1024;  // ASan's quarantine: see stream_test.cpp
#else
  constexpr long rss_bound_kib = 32 * 1024;  // justified where it is checked
#endif
  daemon_process d{{"--write-timeout", "2s", "--max-streams", "300"}};
  const pid_t pid = d.pid();
  http_client c{d.port()};
  // 64 KiB every 50 ms, for up to a minute (the test removes it sooner).
  const std::string run = start(
      c, {{"id", "chatty"},
          {"schedule", "0 1 1 1 *"},
          {"output_limit", 65536},
          {"timeout", "60s"},
          {"command",
           {{"shell", "while true; do head -c 65536 /dev/zero | tr '\\0' x; sleep 0.05; done"}}}});
  const std::string path = output_path("chatty", run);
  // One follower that reads, to warm up the paths (and keep following all along).
  sse_client reader{d.port(), path + "?follow&offset=0"};
  REQUIRE(reader.status() == 200);
  for (int i = 0; i < 20; ++i) REQUIRE(next_data(reader, 10s));
  const long baseline = rss_kib(pid);
  REQUIRE(baseline > 0);

  std::vector<std::unique_ptr<vigil::test::raw_connection>> clients;
  for (int i = 0; i < stalled_clients; ++i)
    clients.push_back(vigil::test::stalled_stream(d.port(), path + "?follow"));
  const auto connected = clock_type::now();
  // The reading follower keeps reading throughout, on a thread of its own.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reader_bytes{0};
  std::thread reading([&] {
    while (!stop && !reader.ended())
      if (auto e = reader.next_event(200ms); e && e->event == "output")
        reader_bytes += json::parse(e->data)["data"].get<std::string>().size();
  });
  struct joiner {
    std::atomic<bool>& stop;
    std::thread& t;
    ~joiner() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } join_reader{stop, reading};
  long peak = baseline;
  json st;
  bool all_subscribed = false;
  const auto until = connected + 60s;
  while (clock_type::now() < until) {
    st = parse(c.get("/v1/streams"), 200);
    peak = std::max(peak, rss_kib(pid));
    if (st["clients"]["output"] == stalled_clients + 1) all_subscribed = true;
    if (st["disconnects"]["write_failed"].get<uint64_t>() >= stalled_clients &&
        st["clients"]["output"] == 1)
      break;
    if (peak - baseline >= rss_bound_kib) break;  // failed already
    std::this_thread::sleep_for(50ms);
  }
  const auto cut_off_after = clock_type::now() - connected;
  const uint64_t read_meanwhile = reader_bytes;
  const bool reader_cut_off = reader.ended();
  stop = true;
  reading.join();
  parse(c.request("DELETE", "/v1/jobs/chatty"), 200);  // stops the process
  const double cut_off_s = std::chrono::duration<double>(cut_off_after).count();
  WARN("output followers: RSS baseline "
       << baseline << " KiB, peak " << peak << " KiB (+" << (peak - baseline) << " KiB), "
       << stalled_clients << " stalled cut off " << cut_off_s
       << " s after connecting; the reader got " << read_meanwhile << " bytes meanwhile");
  INFO("streams " << st.dump());
  CHECK(all_subscribed);
  // Each stalled follower holds at most one write (a 32 KiB chunk) in the daemon: 200 of them
  // stay well under 32 MiB, where a queue per follower would grow by ~1.3 MB/s each.
  CHECK(peak - baseline < rss_bound_kib);
  REQUIRE(st["disconnects"]["write_failed"].get<uint64_t>() >= stalled_clients);
  CHECK(cut_off_after >= 2s);
  CHECK(st["clients"]["output"] == 1);  // the reader was never cut off
  CHECK_FALSE(reader_cut_off);
  CHECK(read_meanwhile > 0);
}
