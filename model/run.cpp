// Names of decision kinds, origins and reasons, run statuses and outcomes, and run ids.
#include "model/run.hpp"

#include <ctime>

namespace vigil::model {

const char* to_string(decision_kind k) {
  switch (k) {
    case decision_kind::fired:
      return "fired";
    case decision_kind::skipped:
      return "skipped";
    case decision_kind::buffered:
      return "buffered";
    case decision_kind::missed:
      break;
  }
  return "missed";
}

const char* to_string(decision_origin o) {
  switch (o) {
    case decision_origin::schedule:
      return "schedule";
    case decision_origin::catchup:
      return "catchup";
    case decision_origin::backfill:
      return "backfill";
    case decision_origin::manual:
      break;
  }
  return "manual";
}

const char* to_string(decision_reason r) {
  switch (r) {
    case decision_reason::schedule:
      return "schedule";
    case decision_reason::catchup:
      return "catchup";
    case decision_reason::manual:
      return "manual";
    case decision_reason::backfill:
      return "backfill";
    case decision_reason::overlap:
      return "overlap";
    case decision_reason::buffer_full:
      return "buffer_full";
    case decision_reason::paused:
      return "paused";
    case decision_reason::misfire:
      break;
  }
  return "misfire";
}

const char* to_string(run_status s) {
  switch (s) {
    case run_status::buffered:
      return "buffered";
    case run_status::starting:
      return "starting";
    case run_status::running:
      return "running";
    case run_status::retry_wait:
      return "retry_wait";
    case run_status::succeeded:
      return "succeeded";
    case run_status::failed:
      return "failed";
    case run_status::timed_out:
      return "timed_out";
    case run_status::cancelled:
      return "cancelled";
    case run_status::failed_to_start:
      return "failed_to_start";
    case run_status::abandoned:
      break;
  }
  return "abandoned";
}

const char* to_string(run_outcome o) { return to_string(status_of(o)); }

std::optional<decision_kind> parse_decision_kind(std::string_view text) {
  for (auto k : {decision_kind::fired, decision_kind::skipped, decision_kind::buffered,
                 decision_kind::missed})
    if (text == to_string(k)) return k;
  return std::nullopt;
}

std::optional<decision_origin> parse_decision_origin(std::string_view text) {
  for (auto o : {decision_origin::schedule, decision_origin::catchup, decision_origin::manual,
                 decision_origin::backfill})
    if (text == to_string(o)) return o;
  return std::nullopt;
}

std::optional<decision_reason> parse_decision_reason(std::string_view text) {
  for (auto r : {decision_reason::schedule, decision_reason::catchup, decision_reason::manual,
                 decision_reason::backfill, decision_reason::overlap, decision_reason::buffer_full,
                 decision_reason::paused, decision_reason::misfire})
    if (text == to_string(r)) return r;
  return std::nullopt;
}

decision_reason reason_of(decision_origin o) {
  switch (o) {
    case decision_origin::schedule:
      return decision_reason::schedule;
    case decision_origin::catchup:
      return decision_reason::catchup;
    case decision_origin::backfill:
      return decision_reason::backfill;
    case decision_origin::manual:
      break;
  }
  return decision_reason::manual;
}

std::optional<run_outcome> parse_run_outcome(std::string_view text) {
  for (auto o : {run_outcome::succeeded, run_outcome::failed, run_outcome::timed_out,
                 run_outcome::cancelled, run_outcome::failed_to_start, run_outcome::abandoned})
    if (text == to_string(o)) return o;
  return std::nullopt;
}

run_status status_of(run_outcome o) {
  switch (o) {
    case run_outcome::succeeded:
      return run_status::succeeded;
    case run_outcome::failed:
      return run_status::failed;
    case run_outcome::timed_out:
      return run_status::timed_out;
    case run_outcome::cancelled:
      return run_status::cancelled;
    case run_outcome::failed_to_start:
      return run_status::failed_to_start;
    case run_outcome::abandoned:
      break;
  }
  return run_status::abandoned;
}

bool is_final(run_status s) {
  switch (s) {
    case run_status::buffered:
    case run_status::starting:
    case run_status::running:
    case run_status::retry_wait:
      return false;
    default:
      return true;
  }
}

bool latest_attempt_ended(const run_record& r) {
  return r.finished_at && is_final(r.status) &&
         (r.earlier.empty() || r.earlier.back().attempt != r.attempt);
}

attempt_record latest_attempt(const run_record& r) {
  attempt_record a;
  a.attempt = r.attempt;
  a.ended = r.status;
  a.started_at = r.started_at;
  a.finished_at = r.finished_at;
  a.exit_code = r.exit_code;
  a.signal = r.signal;
  a.elapsed = r.elapsed;
  a.error = r.error;
  return a;
}

bool is_active(run_status s) {
  return s == run_status::starting || s == run_status::running || s == run_status::retry_wait;
}

std::string make_run_id(std::string_view job, wall_time nominal, bool manual) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(nominal).time_since_epoch().count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  long frac = static_cast<long>(ms % 1000);
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%S", &tm);
  std::string id;
  id.reserve(job.size() + 32);
  id.append(job).append(manual ? "@manual-" : "@").append(buf, n);
  if (frac != 0) {
    char f[8];
    std::snprintf(f, sizeof f, ".%03ld", frac);
    id += f;
  }
  id += 'Z';
  return id;
}

}  // namespace vigil::model
