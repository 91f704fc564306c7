// Commands: what an operator asks the scheduler to do (imperative names).
#pragma once

#include <string>
#include <variant>

namespace vigil::model {

/// The longest accepted pause/resume reason, in bytes.
inline constexpr size_t max_reason_bytes = 1024;

struct pause_scheduler {
  std::string reason;
};

struct resume_scheduler {
  std::string reason;
};

using command = std::variant<pause_scheduler, resume_scheduler>;

}  // namespace vigil::model
