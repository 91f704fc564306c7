// Schedules: when a job fires. Pure: cron (5 or 6 fields, Quartz L/W/#, macros), `@every
// <duration>[/<phase>]` anchored at the Unix epoch, and `@at <RFC 3339>` one-shots, evaluated in
// an IANA time zone read from the system tz database through cctz (no hand-written DST tables).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/time.hpp"

namespace vigil::model {

/// Spring forward: a local time that does not exist that day.
enum class dst_gap { run_at_end, skip };
/// Fall back: a local time that happens twice that day.
enum class dst_fold { once, both };

struct dst_policy {
  dst_gap gap = dst_gap::run_at_end;  ///< run at the first instant after the gap, or skip it
  dst_fold fold = dst_fold::once;     ///< run at the first of the two instants, or at both
  friend bool operator==(const dst_policy& a, const dst_policy& b) {
    return a.gap == b.gap && a.fold == b.fold;
  }
};

const char* to_string(dst_gap g);
const char* to_string(dst_fold f);
std::optional<dst_gap> parse_dst_gap(std::string_view text);    ///< "run_at_end" | "skip"
std::optional<dst_fold> parse_dst_fold(std::string_view text);  ///< "once" | "both"

/// An IANA time zone ("Europe/Berlin", "UTC"). Loaded once per name and cached; copies are cheap.
class zone {
 public:
  struct impl;
  zone() = default;  ///< UTC
  const std::string& name() const;
  /// The zone's offset from UTC at instant t.
  duration utc_offset(wall_time t) const;
  const impl* get() const { return impl_.get(); }

 private:
  friend std::optional<zone> load_zone(std::string_view name);
  std::shared_ptr<const impl> impl_;
};

/// Nothing when the name is not in the tz database (or is not a valid zone name).
std::optional<zone> load_zone(std::string_view name);

/// t as RFC 3339 with the zone's offset at t and no fraction when it is zero,
/// e.g. "2026-03-29T03:00:00+02:00" (UTC renders as "+00:00").
std::string format_rfc3339_in(wall_time t, const zone& z);

/// Why an expression was refused and where (byte offset into the expression).
struct schedule_error {
  std::string message;
  size_t position = 0;
};

/// A parsed schedule. An immutable value, cheap to copy (shares its parsed form).
class schedule {
 public:
  struct impl;
  enum class kind { cron, every, at };
  schedule() = default;
  kind type() const;
  const std::string& text() const;  ///< the expression as given
  const impl* get() const { return impl_.get(); }

 private:
  friend std::variant<schedule, schedule_error> parse_schedule(std::string_view expr);
  std::shared_ptr<const impl> impl_;
};

/// Parses an expression; never throws, whatever the input.
std::variant<schedule, schedule_error> parse_schedule(std::string_view expr);

/// The first fire strictly after `after`, or nothing when there is none (an @at already
/// passed, or a cron expression that cannot match, e.g. "0 0 30 2 *", within a bounded search).
/// Fires are whole seconds for cron and @at as written; @every fires at epoch + k*period + phase.
std::optional<wall_time> next_fire(const schedule& s, const zone& z, wall_time after,
                                   const dst_policy& dst = {});

/// The next `count` fires after `after`, oldest first; fewer when the schedule has no more.
std::vector<wall_time> next_fires(const schedule& s, const zone& z, wall_time after, size_t count,
                                  const dst_policy& dst = {});

}  // namespace vigil::model
