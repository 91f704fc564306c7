// What is answered around the route handlers: before the router (malformed paths, tokens, HEAD
// on a stream) and after it (empty parameter, 405 with Allow, 404). Internal to vigil_http.
#pragma once

#include <restinio/all.hpp>

#include <optional>

#include "http/reply_writer.hpp"
#include "http/route_table.hpp"

namespace vigil::http {

/// Answers `req` before any route handler runs, or leaves it to the router (nothing): a 400 for
/// a path the router cannot decode, the 401 or 403 the route table calls for, and a stream's
/// headers for HEAD on a stream (HEAD must not start one).
std::optional<restinio::request_handling_status_t> answer_before_routing(
    const reply_context& c, const open_routes& open, const restinio::request_handle_t& req);

/// The router's answer when no route matched: 400 naming an empty {parameter}, 405 with the
/// route table's Allow, or 404. `test_hooks` false: the test-only routes are not there.
restinio::request_handling_status_t answer_unmatched(const reply_context& c, bool test_hooks,
                                                     const restinio::request_handle_t& req);

}  // namespace vigil::http
