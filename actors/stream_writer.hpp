// One client's server-sent-event stream, as the hub sees it: no HTTP library in sight.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace vigil::actors {

/// One SSE event: `event:`, `id:` (may be empty), `data:` (one line of JSON).
struct sse_event {
  std::string event;
  std::string id;
  std::string data;
};

/// Written by the hub actor only. Completion is reported from an I/O thread through `done`,
/// which must do no more than send the hub a message.
class stream_writer {
 public:
  virtual ~stream_writer() = default;
  /// Answers 503 with Retry-After instead of opening the stream (over the client cap).
  virtual void refuse(const std::string& reason) = 0;
  /// Answers 404 naming what is missing instead of opening the stream.
  virtual void not_found(const std::string& detail) = 0;
  /// Sends events (the first call also sends the headers and a retry hint). At most one
  /// write is in flight: the hub waits for `done` before the next.
  virtual void write(const std::vector<sse_event>& events, std::function<void(bool ok)> done) = 0;
  /// Ends the stream cleanly: the last chunk goes out, then `done` reports (from an I/O thread,
  /// like write's) that the connection took it.
  virtual void close(std::function<void(bool ok)> done) = 0;
};

using stream_writer_ptr = std::shared_ptr<stream_writer>;

}  // namespace vigil::actors
