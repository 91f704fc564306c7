// The reconnect loop around read_sse (app/http_client), and the lines a human reads.
#include "app/watch.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <iostream>

namespace vigil::app {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

constexpr milliseconds default_retry{2000};
constexpr milliseconds min_retry{100};
constexpr milliseconds max_backoff{30000};

/// HH:MM:SS.mmm, local time.
std::string now_text() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm local{};
  ::localtime_r(&secs, &local);
  char text[32];
  std::snprintf(text, sizeof text, "%02d:%02d:%02d.%03d", local.tm_hour, local.tm_min, local.tm_sec,
                static_cast<int>(ms));
  return text;
}

/// A JSON value as plain text: strings without quotes, absent as "?".
std::string text_of(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "?";
  const json& v = j[key];
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

/// The object in `data`, or a discarded value when it is not a JSON object.
json object_of(const std::string& data) {
  json j = json::parse(data, nullptr, false);
  if (!j.is_object()) return json(json::value_t::discarded);
  return j;
}

// The self-pipe: the signal handler makes its read end readable; every wait polls it.
int stop_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int) {
  const int saved = errno;
  const char byte = 1;
  if (::write(stop_pipe[1], &byte, 1) < 0) {
  }  // full pipe: a stop is already pending
  errno = saved;
}

bool install_stop_handler() {
  if (stop_pipe[0] < 0 && ::pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll returns EINTR and then sees the pipe
  return ::sigaction(SIGINT, &sa, nullptr) == 0 && ::sigaction(SIGTERM, &sa, nullptr) == 0;
}

/// Sleeps for `d`; true when a stop signal came first.
bool sleep_or_stop(milliseconds d) {
  const auto deadline = std::chrono::steady_clock::now() + d;
  for (;;) {
    const auto left =
        std::chrono::ceil<milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    pollfd p{stop_pipe[0], POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left)));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

/// "HTTP 503 Service Unavailable: too many stream clients (2)" from a refused answer.
std::string refusal_text(const sse_outcome& o) {
  std::string text = o.detail;
  const json body = object_of(o.body);
  if (!body.is_discarded() && body.contains("detail") && body["detail"].is_string()) {
    text += ": " + body["detail"].get<std::string>();
  } else if (!o.body.empty() && o.status != 200) {
    const std::string first = o.body.substr(0, std::min(o.body.find('\n'), size_t{200}));
    if (std::all_of(first.begin(), first.end(),
                    [](char c) { return static_cast<unsigned char>(c) >= ' '; }))
      text += ": " + first;
  }
  return text;
}

/// A refusal that retrying cannot fix: not HTTP, not an event stream, or a client error.
bool permanent(const sse_outcome& o) {
  if (o.kind != sse_outcome::refused) return false;
  if (o.status == 408 || o.status == 429 || o.status >= 500) return false;
  return true;
}

}  // namespace

milliseconds reconnect_delay(milliseconds hint, unsigned failures) {
  if (failures == 0) return hint;
  milliseconds d = std::max(hint, min_retry);
  for (unsigned i = 1; i < failures && d < max_backoff; ++i) d *= 2;
  return std::min(d, max_backoff);
}

// ---- lines -------------------------------------------------------------------------------------

watch_printer::watch_printer(std::ostream& out, bool events, uint64_t after)
    : out_(out), events_(events), last_seq_(after) {}

void watch_printer::line(const std::string& text) {
  out_ << now_text() << "  " << text << std::endl;  // flushed: the reader may be a pipe
}

void watch_printer::note(const std::string& text) { line(text); }

void watch_printer::on_event(const std::string& type, const std::string& data) {
  if (type == "snapshot") return snapshot(data);
  if (type == "heartbeat") return heartbeat(data);
  if (type == "event") return event(data);
  if (type == "reset") return reset(data);
  if (type == "close") return close(data);
  line(type + " " + data);
}

void watch_printer::snapshot(const std::string& data) {
  const json j = object_of(data);
  if (j.is_discarded()) return line("snapshot (not JSON) " + data);
  const json sch = j.value("scheduler", json::object());
  const json cycles = sch.is_object() ? sch.value("cycles", json::object()) : json::object();
  std::string text = "v" + text_of(j, "version") + "  " + text_of(sch, "state") +
                     "  cycles=" + text_of(cycles, "total") + "  log_seq=" + text_of(j, "log_seq") +
                     "  coalesced=" + text_of(j, "coalesced");
  const std::string epoch = text_of(j, "epoch");
  const bool new_epoch = !epoch_.empty() && epoch != epoch_;
  if (j.contains("resync") && j["resync"].is_boolean() && j["resync"].get<bool>()) {
    text += new_epoch ? "  RESYNC (daemon restarted: new epoch " + epoch + ", was " + epoch_ + ")"
                      : std::string{"  RESYNC"};
  } else if (new_epoch) {
    text += "  NEW EPOCH " + epoch + " (daemon restarted; was " + epoch_ + ")";
  }
  epoch_ = epoch;
  line(text);
}

void watch_printer::heartbeat(const std::string& data) {
  const json j = object_of(data);
  if (j.is_discarded()) return line("heartbeat (not JSON) " + data);
  std::string age = "?";
  if (j.contains("age_seconds") && j["age_seconds"].is_number()) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", j["age_seconds"].get<double>());
    age = text;
  }
  line("heartbeat status=" + text_of(j, "status") + " age=" + age + "s");
}

void watch_printer::event(const std::string& data) {
  const json j = object_of(data);
  if (j.is_discarded() || !j.contains("seq") || !j["seq"].is_number_unsigned())
    return line("event (not understood) " + data);
  const uint64_t seq = j["seq"].get<uint64_t>();
  if (seq != last_seq_ + 1)
    line("GAP: expected " + std::to_string(last_seq_ + 1) + ", got " + std::to_string(seq));
  last_seq_ = seq;
  const std::string body = j.contains("body") ? j["body"].dump() : std::string{"{}"};
  line("#" + std::to_string(seq) + " " + text_of(j, "type") + " " + body);
}

void watch_printer::reset(const std::string& data) {
  const json j = object_of(data);
  if (j.is_discarded() || !j.contains("position") || !j["position"].is_number_unsigned())
    return line("reset (not understood) " + data);
  last_seq_ = j["position"].get<uint64_t>();
  line("RESET to position " + std::to_string(last_seq_) + ": " + text_of(j, "reason"));
}

void watch_printer::close(const std::string& data) {
  const json j = object_of(data);
  if (j.is_discarded()) return line("server closed the stream: " + data);
  std::string text = "server closed the stream: " + text_of(j, "reason");
  if (j.contains("detail")) text += ": " + text_of(j, "detail");
  if (j.contains("resume_after")) text += " (resumes after #" + text_of(j, "resume_after") + ")";
  line(text);
}

// ---- the loop ----------------------------------------------------------------------------------

int run_watch(const watch_options& opts) {
  if (!install_stop_handler()) {
    std::cerr << "vigil: cannot install the signal handlers" << std::endl;
    return 1;
  }
  watch_printer out{std::cout, opts.events, opts.after};
  const std::string path = opts.events ? "/v1/stream/events?after=" + std::to_string(opts.after)
                                       : std::string{"/v1/stream/snapshots"};
  std::string last_id;
  milliseconds hint = default_retry;
  unsigned failures = 0;
  for (;;) {
    sse_request req;
    req.url = opts.url;
    req.target = opts.url.prefix + path;
    req.last_event_id = last_id;
    req.token = opts.token;
    req.idle_timeout = opts.idle_timeout;
    req.stop_fd = stop_pipe[0];
    sse_parser parser{last_id};
    bool opened = false;
    const sse_outcome o = read_sse(
        req, parser,
        [&] {
          opened = true;
          out.note("connected to " + opts.url.text() + path +
                   (last_id.empty() ? std::string{} : " (Last-Event-ID: " + last_id + ")"));
        },
        [&](const sse_event& e) {
          out.on_event(e.type, e.data);
          last_id = e.id;  // the id as of this dispatched event
        });
    // Not parser.last_event_id(): an `id:` line of a frame the connection cut off before its
    // data would skip that event on the next connect (as the WHATWG "last event ID string",
    // only a dispatched event sets the resume point).
    if (parser.retry_ms())
      hint = std::clamp(milliseconds{*parser.retry_ms()}, min_retry, max_backoff);
    if (o.kind == sse_outcome::stopped) return 0;
    if (permanent(o)) {
      out.note("cannot watch " + opts.url.text() + path + ": " + refusal_text(o) +
               (o.status == 401 || o.status == 403
                    ? std::string{" (pass a token with --token or VIGIL_TOKEN)"}
                    : std::string{}));
      return 1;
    }
    milliseconds delay = hint;
    std::string why;
    if (opened) {
      failures = 0;
      why = "stream ended (" + o.detail + ")";
    } else {
      delay = reconnect_delay(hint, ++failures);
      if (o.retry_after)
        delay = std::max<milliseconds>(delay, std::min<milliseconds>(*o.retry_after, max_backoff));
      why = o.kind == sse_outcome::refused ? refusal_text(o) : o.detail;
    }
    out.note(why + "; reconnecting in " + seconds_text(delay) + "...");
    if (sleep_or_stop(delay)) return 0;
  }
}

}  // namespace vigil::app
