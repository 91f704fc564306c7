// The JSON shape of a job definition (POST/PUT /v1/jobs bodies): strict decoding that names the
// field at fault with a JSON pointer, and a canonical encoding that decodes to the same spec.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "model/job.hpp"
#include "model/rejection.hpp"

namespace vigil::codec {

/// Decodes and validates a job definition. Every refusal is errc::invalid_argument with the
/// JSON pointer of the field at fault ("" for a body that is not a JSON object).
/// `path_id`: the id in the URL of a PUT; the body's "id" may then be omitted, and must equal it
/// when present. Without it (POST) "id" is required.
std::variant<model::job_spec, model::rejection> decode_job_spec(
    std::string_view body, std::optional<std::string_view> path_id = std::nullopt);

/// Canonical JSON with every field, defaults included, in a fixed order; durations as strings.
/// decode_job_spec(encode_job_spec(s)) == s for every spec decode_job_spec accepts.
std::string encode_job_spec(const model::job_spec& spec);

}  // namespace vigil::codec
