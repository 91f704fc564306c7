// A refusal as a value: what went wrong, why, and which field (JSON pointer) was at fault.
#pragma once

#include <string>

namespace vigil::model {

/// Why a request was refused. The HTTP status for each lives in http/responses.cpp.
enum class errc {
  invalid_argument,   ///< a field has a bad value
  not_found,          ///< the target does not exist
  conflict,           ///< the request contradicts current state
  unavailable,        ///< the daemon cannot take the request now (shutting down, disk)
  timeout,            ///< no answer within the deadline; the outcome is unknown
  payload_too_large,  ///< body over the limit
  unauthorized,       ///< no valid credentials (a bearer token) for a protected route
  not_leader,         ///< a follower was asked to change something: the leader decides
  internal,           ///< a bug: never expected
};

/// The stable code used in JSON error bodies ("invalid_argument", ...).
const char* to_string(errc code);

struct rejection {
  errc code = errc::internal;
  std::string detail;
  std::string field;  ///< JSON pointer of the field at fault, empty when none is
};

}  // namespace vigil::model
