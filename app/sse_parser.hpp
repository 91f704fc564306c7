// The one text/event-stream parser: `vigil watch`, `vigil jobs logs -f` and the tests' stream
// client all read Server-Sent Events through it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::app {

/// One dispatched event.
struct sse_event {
  std::string type;  ///< "message" when the stream named none
  std::string id;    ///< the last event id in force when it was dispatched
  std::string data;
  bool own_id = false;  ///< the frame itself had an `id:` line (a heartbeat has none)
};

/// The text/event-stream grammar (WHATWG HTML, "Interpreting an event stream"), fed bytes split
/// anywhere. Lines end with CRLF, LF or CR; a leading BOM is skipped; ':' lines are comments.
class sse_parser {
 public:
  /// `last_event_id` seeds the id buffer: an event without an id keeps the resume point.
  explicit sse_parser(std::string last_event_id = {}, size_t max_line = 1 << 20);

  /// Feeds bytes, calling `on_event` for each event dispatched. False when a line, or the data
  /// of one event, is longer than max_line (the connection should be dropped).
  bool feed(std::string_view bytes, const std::function<void(const sse_event&)>& on_event);

  const std::string& last_event_id() const { return id_; }
  /// The last valid `retry:` field, in milliseconds.
  std::optional<uint64_t> retry_ms() const { return retry_ms_; }

 private:
  void line(std::string_view text, const std::function<void(const sse_event&)>& on_event);

  std::string pending_;  ///< the current incomplete line
  bool after_cr_ = false;
  bool started_ = false;  ///< the BOM check is done
  size_t max_line_;
  std::string data_;
  std::string type_;
  std::string id_;
  bool own_id_ = false;  ///< the current frame had an `id:` line
  std::optional<uint64_t> retry_ms_;
};

}  // namespace vigil::app
