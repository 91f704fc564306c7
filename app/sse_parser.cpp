// Server-Sent Events, line by line, as the WHATWG grammar reads them.
#include "app/sse_parser.hpp"

#include <algorithm>

#include "model/number.hpp"

namespace vigil::app {

sse_parser::sse_parser(std::string last_event_id, size_t max_line)
    : max_line_(max_line), id_(std::move(last_event_id)) {}

bool sse_parser::feed(std::string_view bytes,
                      const std::function<void(const sse_event&)>& on_event) {
  while (!bytes.empty()) {
    if (after_cr_) {
      after_cr_ = false;
      if (bytes.front() == '\n') {
        bytes.remove_prefix(1);
        continue;
      }
    }
    const size_t eol = bytes.find_first_of("\r\n");
    if (eol == std::string_view::npos) {
      pending_.append(bytes);
      return pending_.size() <= max_line_;
    }
    pending_.append(bytes.substr(0, eol));
    if (pending_.size() > max_line_) return false;
    after_cr_ = bytes[eol] == '\r';
    bytes.remove_prefix(eol + 1);
    std::string text;
    text.swap(pending_);
    line(text, on_event);
    if (data_.size() > max_line_) return false;  // an event's data is bounded like a line
  }
  return true;
}

void sse_parser::line(std::string_view text,
                      const std::function<void(const sse_event&)>& on_event) {
  if (!started_) {
    started_ = true;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  }
  if (text.empty()) {  // dispatch
    if (data_.empty()) {
      type_.clear();
      own_id_ = false;
      return;
    }
    if (data_.back() == '\n') data_.pop_back();
    sse_event e{type_.empty() ? std::string{"message"} : type_, id_, std::move(data_), own_id_};
    data_.clear();
    type_.clear();
    own_id_ = false;
    on_event(e);
    return;
  }
  if (text.front() == ':') return;  // a comment
  const size_t colon = text.find(':');
  std::string_view field = text.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "event") {
    type_ = std::string{value};
  } else if (field == "data") {
    data_.append(value);
    data_ += '\n';
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) {
      id_ = std::string{value};
      own_id_ = true;
    }
  } else if (field == "retry") {
    // Digits only (else ignored); a longer wait than anyone means is capped, not refused.
    constexpr uint64_t cap = 999'999'999'999;
    if (model::all_digits(value)) retry_ms_ = model::parse_uint(value, cap).value_or(cap);
  }
}

}  // namespace vigil::app
