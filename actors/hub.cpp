// Streams: per client one write in flight and one pending slot, newest snapshot wins, with a
// `coalesced` counter; event streams pull pages from the journal only as fast as the client
// takes them, so nothing grows with a slow client. A console stream is both on one connection
// (snapshots before events), with heartbeats every second.
#include "actors/hub.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <unordered_map>

#include "codec/events.hpp"
#include "codec/health.hpp"
#include "codec/json_writer.hpp"
#include "model/number.hpp"

namespace vigil::actors {
namespace {

struct subscriber {
  stream_request::kind_type kind = stream_request::snapshots;
  stream_writer_ptr out;
  bool in_flight = false;
  /// Set when the stream is to end: its final `close` event goes out once nothing else is in
  /// flight, and the stream ends when that write completes.
  std::optional<sse_event> closing;
  bool close_written = false;
  bool ending = false;  ///< the last chunk is on its way: the stream ends when it is written
  uint64_t stream_stats::*close_counter = nullptr;
  // Snapshot streams.
  model::snapshot_ptr pending;
  bool pending_resync = false;
  bool heartbeat_pending = false;
  uint64_t coalesced = 0;
  // Event streams.
  uint64_t after = 0;
  bool reading = false;
  std::vector<std::string> types;
  std::string job;
  // Output streams (`after`: the next byte position; job as above). A stream stays on the
  // attempt it began with (0 until the first answer names it).
  std::string run_id;
  uint32_t attempt = 0;
};

struct waiter {
  snapshot_wait wait;
  model::mono_time deadline;
};

struct hub_state {
  hub_config cfg;
  std::unordered_map<uint64_t, subscriber> subs;
  uint64_t next_id = 0;
  model::snapshot_ptr latest;
  /// The log's end: the journal's last durable seq, as far as the hub has heard. Raised by the
  /// journal's pages (their `last_seq`) and by snapshots (a snapshot's `log_seq` was durable
  /// before it was applied, so it never exceeds the journal's end); it never goes down.
  uint64_t log_end = 0;
  std::string latest_json;  ///< encode_snapshot(*latest) without its closing brace
  std::vector<waiter> waiters;
  stream_stats stats;
  bool draining = false;
  std::vector<caf::typed_response_promise<caf::ok_atom>> drained;  ///< answered when all closed
  model::mono_time last_beat{};
  std::optional<sse_event> last_heartbeat;  ///< the newest verdict sent, for streams that waited
  model::mono_time last_console_beat{};
  static inline const char* name = "hub";
};

using hub_pointer = hub_actor::stateful_pointer<hub_state>;

std::string etag_of(const model::snapshot& s) { return s.epoch + "-" + std::to_string(s.version); }

uint64_t log_end(const hub_state& st) { return st.log_end; }

void heard_of_end(hub_state& st, uint64_t end) { st.log_end = std::max(st.log_end, end); }

void write(hub_pointer self, uint64_t id, subscriber& sub, std::vector<sse_event> events) {
  sub.in_flight = true;
  sub.out->write(events, [self, id](bool ok) {
    caf::anon_send(hub_actor{self}, written_atom::value, id, ok);
  });
}

void drop(hub_pointer self, uint64_t id, uint64_t stream_stats::*counter) {
  auto it = self->state.subs.find(id);
  if (it == self->state.subs.end()) return;
  ++(self->state.stats.*counter);
  self->state.subs.erase(it);
}

void answer_drain_if_done(hub_pointer self) {
  auto& st = self->state;
  if (!st.draining || !st.subs.empty()) return;
  for (auto& p : st.drained) p.deliver(caf::ok_atom::value);
  st.drained.clear();
}

/// Ends a stream with a final `close` event carrying the reason: written as soon as no other
/// write is in flight; the stream ends when it completes (on_written).
void end_with(hub_pointer self, uint64_t id, sse_event last, uint64_t stream_stats::*counter) {
  auto it = self->state.subs.find(id);
  if (it == self->state.subs.end() || it->second.closing) return;
  auto& sub = it->second;
  sub.closing = std::move(last);
  sub.close_counter = counter;
  if (!sub.in_flight) {
    sub.close_written = true;
    write(self, id, sub, {*sub.closing});
  }
}

void close_with(hub_pointer self, uint64_t id, const std::string& data,
                uint64_t stream_stats::*counter) {
  end_with(self, id, sse_event{"close", "", data}, counter);
}

sse_event snapshot_event(const hub_state& st, const subscriber& sub, bool resync) {
  std::string data = st.latest_json;
  data += ",\"coalesced\":" + std::to_string(sub.coalesced) +
          ",\"resync\":" + (resync ? "true" : "false") + "}";
  return {"snapshot", st.latest->epoch + ":" + std::to_string(st.latest->version), std::move(data)};
}

sse_event heartbeat_event(const hub_state& st, const model::health_report& r) {
  std::string data;
  codec::json_writer w{data};
  w.begin_object();
  w.key("time").value(model::format_rfc3339(r.time));
  w.key("status").value(model::to_string(r.result.status));
  // Why, in one line: the first check at the verdict's own level (the worst one).
  w.key("reason");
  const model::health_check* worst = nullptr;
  for (const auto& c : r.result.checks)
    if (c.status == r.result.status && r.result.status != model::health_status::pass) {
      worst = &c;
      break;
    }
  if (worst)
    w.value(worst->name + ": " + worst->output);
  else
    w.null();
  if (r.snap) {
    w.key("epoch").value(r.snap->epoch).key("version").value(r.snap->version);
    w.key("age_seconds").value(model::to_seconds(r.age));
  }
  w.key("log_seq").value(log_end(st));
  w.end_object();
  return {"heartbeat", "", std::move(data)};
}

/// Sends a snapshot stream what it should have next, if no write is in flight.
void feed_snapshots(hub_pointer self, uint64_t id, subscriber& sub) {
  auto& st = self->state;
  if (sub.in_flight || sub.reading || sub.closing || !st.latest) return;
  if (sub.pending) {
    sub.pending = nullptr;
    const bool resync = sub.pending_resync;
    sub.pending_resync = false;
    sub.heartbeat_pending = false;  // data proves the connection as well as a heartbeat
    write(self, id, sub, {snapshot_event(st, sub, resync)});
  }
}

bool wanted(const subscriber& sub, const store::stored_event& e) {
  if (!sub.types.empty() &&
      std::find(sub.types.begin(), sub.types.end(), e.type) == sub.types.end())
    return false;
  if (sub.job.empty()) return true;
  // The event's own job, read as the codec reads the event (not a search of its text, which
  // a command line or a reason quoting `"job":"x"` could match). A body the codec cannot read
  // names no job.
  // Its id, quoted, is in the body of every event of that job: a body without it is passed
  // over without decoding (most, on a busy log), one with it is decoded to make sure.
  if (e.body.find(codec::quote(sub.job)) == std::string::npos) return false;
  const auto decoded = codec::decode_event(e.type, e.schema_version, e.body);
  return decoded && model::job_of(*decoded) == sub.job;
}

void send_heartbeat(hub_pointer self, uint64_t id);

/// An event stream with nothing to read: a console's pending snapshot, else a heartbeat that
/// had to wait for a write or a read.
void idle(hub_pointer self, uint64_t id, subscriber& sub) {
  if (sub.in_flight || sub.reading || sub.closing) return;
  if (sub.pending) return feed_snapshots(self, id, sub);
  if (sub.heartbeat_pending) {
    sub.heartbeat_pending = false;
    send_heartbeat(self, id);
  }
}

/// Moves an event stream forward: the next page after its position, once the client took the
/// last one. Never skips: the position only advances past events read from the log.
void pump(hub_pointer self, uint64_t id) {
  auto& st = self->state;
  auto it = st.subs.find(id);
  if (it == st.subs.end()) return;
  auto& sub = it->second;
  if (sub.in_flight || sub.reading || sub.closing) return;
  const uint64_t end = log_end(st);
  // A position beyond what the hub has heard of is not yet a reset: only the journal knows
  // whether the log has it, so the answer to the page read below decides.
  if (sub.after == end) return idle(self, id, sub);
  if (sub.after < end && end - sub.after > st.cfg.max_event_lag) {
    close_with(self, id,
               "{\"reason\":\"too_slow\",\"resume_after\":" + std::to_string(sub.after) + "}",
               &stream_stats::disconnected_too_slow);
    return;
  }
  sub.reading = true;
  self->request(st.cfg.journal, caf::infinite, events_atom::value, sub.after,
                static_cast<uint64_t>(st.cfg.event_page))
      .then(
          [self, id](const event_page& page) {
            auto it = self->state.subs.find(id);
            if (it == self->state.subs.end()) return;
            auto& sub = it->second;
            sub.reading = false;
            if (!page.ok) {
              close_with(self, id,
                         "{\"reason\":\"event log unreadable\",\"detail\":" +
                             codec::quote(page.error) + "}",
                         &stream_stats::disconnected_write_failed);
              return;
            }
            auto& st = self->state;
            heard_of_end(st, page.last_seq);
            if (page.events.empty() && sub.after > page.last_seq) {
              // The journal's own end is before the position: a log this position never
              // came from (another data directory, or a log in memory that was lost).
              const uint64_t end = page.last_seq;
              std::string data =
                  "{\"reason\":\"position beyond the end of the log\","
                  "\"position\":" +
                  std::to_string(end) +
                  ",\"snapshot\":" + (st.latest ? codec::encode_snapshot(*st.latest) : "null") +
                  "}";
              sub.after = end;
              write(self, id, sub, {{"reset", std::to_string(end), std::move(data)}});
              return;
            }
            std::vector<sse_event> events;
            for (const auto& e : page.events) {
              sub.after = e.seq;
              if (!wanted(sub, e)) continue;
              std::string data;
              codec::json_writer w{data};
              w.begin_object().key("seq").value(e.seq).key("type").value(e.type);
              w.key("version").value(static_cast<uint64_t>(e.schema_version));
              w.key("time").value(model::format_rfc3339(e.time)).key("epoch").value(e.epoch);
              w.key("body").raw(e.body).end_object();
              events.push_back({"event", std::to_string(e.seq), std::move(data)});
            }
            if (events.empty())
              pump(self, id);
            else
              write(self, id, sub, std::move(events));
          },
          [self, id](caf::error& err) {
            close_with(self, id,
                       "{\"reason\":\"journal unavailable\",\"detail\":" +
                           codec::quote(to_string(err)) + "}",
                       &stream_stats::disconnected_write_failed);
          });
}

/// An output stream's `output` event: the bytes from `offset`, and how many the tail dropped
/// before them (a reader that fell behind a flood); `id` is the next position, so that a
/// reconnect with Last-Event-ID resumes at the first byte it has not had.
sse_event output_event(const exec::output_read& r, uint32_t attempt) {
  std::string data;
  codec::json_writer w{data};
  w.begin_object().key("attempt").value(uint64_t{attempt});
  w.key("offset").value(r.offset).key("dropped").value(r.dropped);
  w.key("data").value(r.bytes).end_object();
  return {"output", std::to_string(r.offset + r.bytes.size()), std::move(data)};
}

/// The `end` after the last byte: how the attempt's process ended.
sse_event end_event(const output_answer& a) {
  std::string data;
  codec::json_writer w{data};
  w.begin_object();
  exec::write_end_members(w, *a.read.ended);
  w.key("attempt").value(uint64_t{a.attempt}).key("total").value(a.read.total).end_object();
  return {"end", std::to_string(a.read.total), std::move(data)};
}

/// Moves an output stream forward: the next bytes after its position once the client took the
/// last ones, waiting (up to a second, so heartbeats still go out) for the process to print.
void pump_output(hub_pointer self, uint64_t id) {
  auto& st = self->state;
  auto it = st.subs.find(id);
  if (it == st.subs.end()) return;
  auto& sub = it->second;
  if (sub.in_flight || sub.reading || sub.closing) return;
  if (!st.cfg.output)
    return close_with(self, id, "{\"reason\":\"output is not served here\"}",
                      &stream_stats::disconnected_shutdown);
  output_query q;
  q.job = sub.job;
  q.run_id = sub.run_id;
  q.offset = sub.after;
  q.max = st.cfg.output_chunk;
  q.wait = std::min<model::duration>(st.cfg.heartbeat_interval, std::chrono::seconds{1});
  if (sub.attempt > 0) q.attempt = sub.attempt;
  sub.reading = true;
  self->request(st.cfg.output, caf::infinite, output_atom::value, q)
      .then(
          [self, id](output_answer& a) {
            auto it = self->state.subs.find(id);
            if (it == self->state.subs.end()) return;
            auto& sub = it->second;
            sub.reading = false;
            if (sub.closing) return;  // a drain's close is on its way
            if (a.refused)
              return close_with(self, id, "{\"reason\":" + codec::quote(a.refused->detail) + "}",
                                &stream_stats::disconnected_write_failed);
            if (sub.attempt == 0) sub.attempt = a.attempt;
            std::vector<sse_event> events;
            if (!a.read.bytes.empty() || a.read.dropped > 0) {
              events.push_back(output_event(a.read, a.attempt));
              sub.after = a.read.offset + a.read.bytes.size();
            }
            if (a.read.ended) {  // at the attempt's end, as the record says (durable)
              if (!events.empty()) write(self, id, sub, std::move(events));
              return end_with(self, id, end_event(a), &stream_stats::completed);
            }
            if (!events.empty()) return write(self, id, sub, std::move(events));
            if (sub.heartbeat_pending && self->state.last_heartbeat) {
              // Nothing new: the heartbeat that waited goes now (the next read after it).
              sub.heartbeat_pending = false;
              return write(self, id, sub, {*self->state.last_heartbeat});
            }
            if (!a.live) {
              // Not started yet, ending, or it runs on another node: look again in a moment.
              self->delayed_send(self, std::chrono::milliseconds{250}, output_atom::value, id);
              return;
            }
            pump_output(self, id);
          },
          [self, id](caf::error& err) {
            close_with(self, id,
                       "{\"reason\":\"output unavailable\",\"detail\":" +
                           codec::quote(to_string(err)) + "}",
                       &stream_stats::disconnected_write_failed);
          });
}

/// Where an event or output stream starts: after its Last-Event-ID (a position the handler
/// checked is digits), else where the request says.
uint64_t resume_point(const stream_request& req) {
  return model::parse_uint(req.last_event_id).value_or(req.after);
}

void subscribe(hub_pointer self, stream_request& req) {
  auto& st = self->state;
  if (st.draining) return req.writer->refuse("shutting down");
  if (st.subs.size() >= st.cfg.max_clients) {
    ++st.stats.refused_total;
    return req.writer->refuse("too many stream clients (" + std::to_string(st.cfg.max_clients) +
                              ")");
  }
  const uint64_t id = ++st.next_id;
  subscriber sub;
  sub.kind = req.kind;
  sub.out = std::move(req.writer);
  if (req.kind == stream_request::console) {
    // Always the current snapshot first (the page renders from it), then the events.
    sub.pending = st.latest;
    sub.after = req.from_end ? log_end(st) : req.after;
    sub.types = std::move(req.types);
    sub.job = std::move(req.job);
    auto& placed = st.subs.emplace(id, std::move(sub)).first->second;
    write(self, id, placed, {});
    return;
  }
  if (req.kind == stream_request::snapshots) {
    // Resume: the current epoch and version -> nothing resent; anything else -> the current
    // snapshot, marked as a resync (a new epoch tells the client the daemon restarted).
    const bool current = st.latest && req.last_event_id == st.latest->epoch + ":" +
                                                               std::to_string(st.latest->version);
    if (!current) {
      sub.pending = st.latest;
      sub.pending_resync = !req.last_event_id.empty();
    }
    auto& placed = st.subs.emplace(id, std::move(sub)).first->second;
    write(self, id, placed, {});  // headers and the retry hint now, whatever comes next
    return;
  }
  if (req.kind == stream_request::output) {
    // The run must exist before the stream opens: an unknown one is a 404, not a stream.
    sub.after = resume_point(req);
    sub.job = std::move(req.job);
    sub.run_id = std::move(req.run_id);
    sub.attempt = req.attempt;
    if (!st.cfg.output) return sub.out->not_found("output is not served by this daemon");
    output_query q;
    q.job = sub.job;
    q.run_id = sub.run_id;
    q.offset = sub.after;
    q.max = 0;
    if (sub.attempt > 0) q.attempt = sub.attempt;
    auto& placed = st.subs.emplace(id, std::move(sub)).first->second;
    placed.reading = true;
    self->request(st.cfg.output, caf::infinite, output_atom::value, q)
        .then(
            [self, id](output_answer& a) {
              auto it = self->state.subs.find(id);
              if (it == self->state.subs.end()) return;
              it->second.reading = false;
              if (it->second.closing) return;  // a drain's close is on its way
              if (a.refused) {
                if (a.refused->code == model::errc::not_found)
                  it->second.out->not_found(a.refused->detail);
                else
                  it->second.out->refuse(a.refused->detail);
                self->state.subs.erase(it);
                return;
              }
              write(self, id, it->second, {});  // headers; the bytes follow
            },
            [self, id](caf::error& err) {
              auto it = self->state.subs.find(id);
              if (it == self->state.subs.end()) return;
              it->second.out->refuse("output unavailable: " + to_string(err));
              self->state.subs.erase(it);
            });
    return;
  }
  sub.after = resume_point(req);
  sub.types = std::move(req.types);
  sub.job = std::move(req.job);
  auto& placed = st.subs.emplace(id, std::move(sub)).first->second;
  write(self, id, placed, {});
}

void on_snapshot(hub_pointer self, model::snapshot_ptr snap) {
  auto& st = self->state;
  st.latest = std::move(snap);
  heard_of_end(st, st.latest->log_seq);
  st.latest_json = codec::encode_snapshot(*st.latest);
  st.latest_json.pop_back();  // reopen the object for the per-client fields
  const std::string etag = etag_of(*st.latest);
  for (auto it = st.waiters.begin(); it != st.waiters.end();) {
    if (it->wait.etag != etag) {
      it->wait.answer(st.latest);
      it = st.waiters.erase(it);
    } else {
      ++it;
    }
  }
  std::vector<uint64_t> event_streams;
  for (auto& [id, sub] : st.subs) {
    if (sub.kind == stream_request::output) continue;  // bytes, not state
    if (sub.kind == stream_request::events) {
      event_streams.push_back(id);
      continue;
    }
    if (sub.kind == stream_request::console) event_streams.push_back(id);
    if (sub.pending) {
      ++sub.coalesced;  // the pending one is replaced before it was ever sent
      ++st.stats.coalesced_total;
    }
    sub.pending = st.latest;
    feed_snapshots(self, id, sub);
  }
  for (auto id : event_streams) pump(self, id);
}

void on_written(hub_pointer self, uint64_t id, bool ok) {
  auto& st = self->state;
  auto it = st.subs.find(id);
  if (it == st.subs.end()) return;
  auto& sub = it->second;
  if (!ok) {
    drop(self, id, &stream_stats::disconnected_write_failed);
    return answer_drain_if_done(self);
  }
  sub.in_flight = false;
  if (sub.ending) {  // the last chunk was written: a shutdown's drain may go on now
    drop(self, id, sub.close_counter);
    return answer_drain_if_done(self);
  }
  if (sub.closing) {
    if (!sub.close_written) {
      sub.close_written = true;
      return write(self, id, sub, {*sub.closing});
    }
    sub.ending = true;
    sub.in_flight = true;
    sub.out->close(
        [self, id](bool ok) { caf::anon_send(hub_actor{self}, written_atom::value, id, ok); });
    return;
  }
  // A console takes the newest snapshot before more events: its status bar is the state now.
  if (sub.kind == stream_request::console && sub.pending) return feed_snapshots(self, id, sub);
  if (sub.kind == stream_request::output) return pump_output(self, id);
  if (sub.kind != stream_request::snapshots) return pump(self, id);  // ends in idle()
  if (sub.pending) return feed_snapshots(self, id, sub);
  if (sub.heartbeat_pending) {
    sub.heartbeat_pending = false;
    send_heartbeat(self, id);
  }
}

void send_heartbeat(hub_pointer self, uint64_t id) {
  self->request(self->state.cfg.health, caf::infinite, caf::get_atom::value)
      .then(
          [self, id](const model::health_report& r) {
            auto it = self->state.subs.find(id);
            if (it == self->state.subs.end() || it->second.in_flight || it->second.reading ||
                it->second.closing)
              return;
            write(self, id, it->second, {heartbeat_event(self->state, r)});
          },
          [](caf::error&) {});  // no verdict (health gone at shutdown): no heartbeat this time
}

/// Every heartbeat interval: the verdict to every stream (queued behind a write in flight), so
/// a client tells a dead connection (no heartbeats) from a stalled scheduler (age grows).
/// `all` false: console streams only (their faster beat).
void heartbeat(hub_pointer self, bool all) {
  auto& st = self->state;
  if (st.subs.empty()) return;
  self->request(st.cfg.health, caf::infinite, caf::get_atom::value)
      .then(
          [self, all](const model::health_report& r) {
            auto& st = self->state;
            const sse_event beat = heartbeat_event(st, r);
            st.last_heartbeat = beat;
            for (auto& [id, sub] : st.subs) {
              if (sub.closing || (!all && sub.kind != stream_request::console)) continue;
              if (sub.in_flight || sub.reading) {
                if (!sub.pending) sub.heartbeat_pending = true;
              } else {
                write(self, id, sub, {beat});
              }
            }
          },
          [](caf::error&) {});  // no verdict (health gone at shutdown): skip this heartbeat
}

void expire_waiters(hub_pointer self) {
  auto& st = self->state;
  const auto now = st.cfg.mono_clock();
  for (auto it = st.waiters.begin(); it != st.waiters.end();) {
    if (it->deadline <= now) {
      it->wait.answer(st.latest);  // unchanged: the client's tag still matches (304)
      it = st.waiters.erase(it);
    } else {
      ++it;
    }
  }
}

void wait_for_snapshot(hub_pointer self, snapshot_wait& w) {
  auto& st = self->state;
  const bool newer = st.latest && w.etag != etag_of(*st.latest);
  if (newer || w.wait.count() <= 0 || st.draining) return w.answer(st.latest);
  if (st.waiters.size() >= st.cfg.max_clients) return w.answer(st.latest);
  const auto deadline = st.cfg.mono_clock() + w.wait;
  st.waiters.push_back({std::move(w), deadline});
}

caf::typed_response_promise<caf::ok_atom> drain(hub_pointer self) {
  auto& st = self->state;
  auto promise = self->make_response_promise<caf::ok_atom>();
  st.drained.push_back(promise);
  st.draining = true;
  std::vector<uint64_t> ids;
  for (auto& [id, sub] : st.subs) ids.push_back(id);
  for (auto id : ids)
    close_with(self, id, "{\"reason\":\"shutting down\"}", &stream_stats::disconnected_shutdown);
  for (auto& w : st.waiters) w.wait.answer(st.latest);
  st.waiters.clear();
  answer_drain_if_done(self);
  return promise;
}

hub_actor::behavior_type hub(hub_pointer self, hub_config cfg) {
  self->state.cfg = std::move(cfg);
  self->state.last_beat = self->state.cfg.mono_clock();
  self->state.last_console_beat = self->state.last_beat;
  self->send(self, heartbeat_atom::value);
  return {
      [self](snapshot_atom, model::snapshot_ptr& snap) {
        on_snapshot(self, std::move(snap));
        return caf::ok_atom::value;
      },
      [self](subscribe_atom, stream_request& req) { subscribe(self, req); },
      [self](written_atom, uint64_t id, bool ok) { on_written(self, id, ok); },
      [self](heartbeat_atom) {
        // One timer drives heartbeats and long-poll expiry; it ticks at 1/4 s and sends
        // heartbeats when their interval has passed.
        auto& st = self->state;
        expire_waiters(self);
        const auto now = st.cfg.mono_clock();
        if (now - st.last_beat >= st.cfg.heartbeat_interval) {
          st.last_beat = now;
          st.last_console_beat = now;
          heartbeat(self, true);
        } else if (now - st.last_console_beat >= st.cfg.console_heartbeat_interval) {
          st.last_console_beat = now;
          heartbeat(self, false);
        }
        self->delayed_send(self, std::chrono::milliseconds{250}, heartbeat_atom::value);
      },
      [self](wait_atom, snapshot_wait& w) { wait_for_snapshot(self, w); },
      [self](output_atom, uint64_t id) { pump_output(self, id); },
      [self](caf::get_atom) {
        auto stats = self->state.stats;
        for (const auto& [id, sub] : self->state.subs)
          (sub.kind == stream_request::snapshots ? stats.snapshot_clients
           : sub.kind == stream_request::events  ? stats.event_clients
           : sub.kind == stream_request::output  ? stats.output_clients
                                                 : stats.console_clients)++;
        return stats;
      },
      [self](drain_atom) { return drain(self); },
  };
}

}  // namespace

hub_actor spawn_hub(caf::actor_system& sys, hub_config cfg) {
  return sys.spawn(hub, std::move(cfg));
}

}  // namespace vigil::actors
