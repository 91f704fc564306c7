// Commands: what an operator asks the scheduler to do (imperative names).
#pragma once

#include <string>
#include <variant>

namespace vigil::model {

/// The longest accepted pause/resume reason, in bytes.
inline constexpr size_t max_reason_bytes = 1024;

/// `by` says who asked: the HTTP peer today, a token's name once requests are authenticated.
/// It is set by the server, never taken from the request body.
struct pause_scheduler {
  std::string reason;
  std::string by = {};
};

struct resume_scheduler {
  std::string reason;
  std::string by = {};
};

using command = std::variant<pause_scheduler, resume_scheduler>;

}  // namespace vigil::model
