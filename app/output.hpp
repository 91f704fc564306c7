// How a read command prints its answer: a table for a human, or JSON or YAML for a script
// (`-o table|json|yaml`); colour only on a terminal.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "app/times.hpp"

namespace vigil::app {

enum class output_format { table, json, yaml };
enum class colour_mode { automatic, always, never };

/// What every read command is given: the format, the viewer's zone, colour.
struct view_options {
  output_format format = output_format::table;
  viewer_zone viewer = system_viewer_zone();
  colour_mode colour = colour_mode::automatic;

  /// Colour is on: `always`, or `automatic` with stdout a terminal and NO_COLOR unset.
  bool coloured() const;
};

/// The value as pretty JSON (2 spaces, keys sorted) or YAML, ending with a newline.
void print_document(std::ostream& out, const nlohmann::json& value, output_format format);

/// ANSI SGR colour codes for a table cell ("31" red); empty for none.
using cell_colour = std::function<std::string(size_t column, const std::string& cell)>;

/// Columns padded to their widest cell; the last one is not padded. `colour` (when set) wraps a
/// cell of a row after the header in an escape sequence, after padding is measured.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows,
                 const cell_colour& colour = {});

}  // namespace vigil::app
