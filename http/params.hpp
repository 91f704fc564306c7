// What a route handler reads from a request: query and path parameters, checked. Internal.
#pragma once

#include <restinio/all.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/query.hpp"

namespace vigil::http {

/// `?name=` as a whole number within [lo, hi]; `fallback` when absent; nothing when malformed.
std::optional<uint64_t> number_param(const query& params, const char* name, uint64_t fallback,
                                     uint64_t lo, uint64_t hi);

/// A boolean parameter: absent is false; `?name`, `name=true` or `name=1` true; `name=false` or
/// `name=0` false; anything else nothing (a 400 naming it).
std::optional<bool> flag_param(const query& params, const char* name);

/// "a,b,,c" -> {"a", "b", "c"}: empty items are dropped.
std::vector<std::string> split_list(const std::string& text);

/// A path parameter, percent-decoded; nothing if malformed. Every character RFC 3986 allows
/// unescaped in a path segment is taken as is: '@' in run ids arrives raw or as "%40".
std::optional<std::string> path_param(const restinio::router::route_params_t& params,
                                      const char* name);

/// Whether `text` is a sequence number or byte position as a Last-Event-ID carries it: empty
/// (no header) or at most 19 digits.
bool is_position_or_empty(std::string_view text);

/// The name of the template's {parameter} whose segment in `path` is empty, if one is:
/// "/v1/jobs//runs" against "/v1/jobs/{id}/runs" is "id".
std::optional<std::string> empty_parameter(std::string_view path, std::string_view tmpl);

/// Every '%' is followed by two hex digits.
bool valid_percent_encoding(std::string_view path);

/// Who asked: the peer today; the authenticated token's name once there is auth.
std::string requester(const restinio::request_handle_t& req);

}  // namespace vigil::http
