// Tables, JSON and YAML for the read commands.
#include "app/output.hpp"
#include "app/yaml.hpp"

#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <ostream>

namespace vigil::app {

bool view_options::coloured() const {
  if (colour != colour_mode::automatic) return colour == colour_mode::always;
  const char* no_colour = std::getenv("NO_COLOR");
  return ::isatty(STDOUT_FILENO) == 1 && !(no_colour && *no_colour);
}

void print_document(std::ostream& out, const nlohmann::json& value, output_format format) {
  if (format == output_format::yaml)
    out << to_yaml(value);
  else
    out << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows,
                 const cell_colour& colour) {
  std::vector<size_t> width;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string code = colour && r > 0 ? colour(i, row[i]) : std::string{};
      line += code.empty() ? row[i] : "\x1b[" + code + "m" + row[i] + "\x1b[0m";
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

}  // namespace vigil::app
