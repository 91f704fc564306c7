// Fuzzes parse_schedule with any bytes; a schedule it accepts must give fires that move strictly
// forward in UTC and in Europe/Berlin (both DST transitions) under every DST policy.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <variant>

#include "model/schedule.hpp"

namespace {

using namespace std::chrono_literals;
namespace m = vigil::model;

const m::zone& zone_named(const char* name) {
  static const m::zone utc;
  static const std::optional<m::zone> berlin = m::load_zone("Europe/Berlin");
  if (!berlin) std::abort();  // no tz database: nothing below would mean anything
  return std::string_view(name) == "UTC" ? utc : *berlin;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view expr(reinterpret_cast<const char*>(data), size);
  const auto parsed = m::parse_schedule(expr);
  if (const auto* e = std::get_if<m::schedule_error>(&parsed)) {
    if (e->message.empty() || e->position > size) std::abort();
    return 0;
  }
  const auto& s = std::get<m::schedule>(parsed);
  if (s.text() != expr) std::abort();

  // Half an hour before Berlin springs forward (2026-03-29 01:00Z) and falls back (10-25 01:00Z).
  static const m::wall_time starts[] = {m::wall_time{1'774'744'200s}, m::wall_time{1'792'888'200s}};
  for (const char* zone_name : {"UTC", "Europe/Berlin"}) {
    const auto& z = zone_named(zone_name);
    for (const auto gap : {m::dst_gap::run_at_end, m::dst_gap::skip}) {
      for (const auto fold : {m::dst_fold::once, m::dst_fold::both}) {
        for (const auto start : starts) {
          m::wall_time t = start;
          for (int i = 0; i < 4; ++i) {
            const auto next = m::next_fire(s, z, t, {gap, fold});
            if (!next) break;
            if (*next <= t) std::abort();  // a fire must come strictly after its input
            t = *next;
          }
        }
      }
    }
  }
  return 0;
}
