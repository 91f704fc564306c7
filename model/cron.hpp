// Cron expressions: parsing the dialect (5 or 6 fields, names, ranges, steps, Quartz L/W/#,
// macros) into bit sets, and finding the next matching local civil time. Knows no time zone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include <cctz/civil_time.h>

#include "model/schedule.hpp"

namespace vigil::model {

/// A parsed cron expression: one bit per allowed value, plus the Quartz day specials.
struct cron_expr {
  uint64_t seconds = 0;               ///< bit s: second s (0-59)
  uint64_t minutes = 0;               ///< bit m: minute m (0-59)
  uint32_t hours = 0;                 ///< bit h: hour h (0-23)
  uint32_t days = 0;                  ///< bit d: day of month d (1-31)
  uint16_t months = 0;                ///< bit m: month m (1-12)
  uint8_t weekdays = 0;               ///< bit w: weekday w (0 = Sunday .. 6)
  uint8_t last_weekday_in_month = 0;  ///< bit w: the last weekday w of the month ("5L")
  uint8_t nth_weekday[6] = {};        ///< nth_weekday[n] bit w: the n-th weekday w ("5#3")
  uint32_t nearest_weekday = 0;       ///< bit d: the weekday nearest to day d ("15W")
  uint32_t before_last = 0;           ///< bit n: n days before the last day ("L", "L-3")
  bool last_weekday = false;          ///< "LW": the last Monday-to-Friday of the month
  bool dom_star = true;               ///< day of month is `*` or `?` (Vixie: starts with one)
  bool dow_star = true;               ///< day of week is `*` or `?`
};

/// Parses a cron expression or macro ("@daily"). Positions in errors are offsets into `text`.
std::variant<cron_expr, schedule_error> parse_cron(std::string_view text);

/// The bit set of days (bit d = day d) of the given month that the day fields select,
/// combining day of month and day of week as Vixie cron does.
uint32_t matching_days(const cron_expr& c, int64_t year, int month);

/// The first civil second at or after `from` that matches, searching up to the end of
/// `last_year`; nothing when there is none.
std::optional<cctz::civil_second> next_match(const cron_expr& c, cctz::civil_second from,
                                             int64_t last_year);

}  // namespace vigil::model
