// Writing an http_reply on a RESTinio connection, counted and logged: internal to vigil_http.
#pragma once

#include <restinio/all.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "http/auth.hpp"
#include "http/metrics.hpp"
#include "http/reply.hpp"
#include "model/rejection.hpp"

namespace vigil::http {

/// What every reply needs: the request counters, and the tokens that name the caller in the
/// access log. `c->count(...)` reads as it did when this was the counters alone.
struct reply_context {
  request_counters_ptr counters;
  std::shared_ptr<const token_set> tokens;
  request_counters* operator->() const { return counters.get(); }
};

/// Whether `req` is a HEAD request (answered like its GET, without the body).
bool is_head(const restinio::request_handle_t& req);

/// Writes `r` on `req`'s connection; safe from any thread (RESTinio posts to the connection).
void send_reply(const reply_context& c, const restinio::request_handle_t& req, http_reply r,
                std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now());

/// A responder that writes its reply on `req`, timed from now.
responder responder_for(const reply_context& c, restinio::request_handle_t req);

/// Writes `r` now and tells RESTinio the request is taken.
restinio::request_handling_status_t reply_now(const reply_context& c,
                                              const restinio::request_handle_t& req, http_reply r);

/// Writes the error body for `code` now, naming `field` when one is at fault.
restinio::request_handling_status_t reply_error(const reply_context& c,
                                                const restinio::request_handle_t& req,
                                                model::errc code, std::string detail,
                                                std::string field = {});

/// 400: the query string does not parse.
restinio::request_handling_status_t reply_bad_query(const reply_context& c,
                                                    const restinio::request_handle_t& req);

/// 400 naming a numeric query parameter that is not a whole number within [lo, hi].
restinio::request_handling_status_t reply_out_of_range(const reply_context& c,
                                                       const restinio::request_handle_t& req,
                                                       const char* name, uint64_t lo, uint64_t hi);

}  // namespace vigil::http
