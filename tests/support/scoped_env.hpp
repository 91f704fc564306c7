// Test helpers for the environment and for --print-config output, shared by the config, CLI
// and auth tests.
#pragma once

#include <stdlib.h>

#include <sstream>
#include <string>
#include <utility>

namespace vigil::test {

/// Sets an environment variable for its scope (a child started meanwhile inherits it).
class scoped_env {
 public:
  scoped_env(std::string name, const std::string& value) : name_(std::move(name)) {
    ::setenv(name_.c_str(), value.c_str(), 1);
  }
  ~scoped_env() { ::unsetenv(name_.c_str()); }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  std::string name_;
};

/// The line `key = ...` of a --print-config output, or "" if there is none.
inline std::string line_of(const std::string& output, const std::string& key) {
  std::istringstream in{output};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + " = ", 0) == 0) return line;
  return {};
}

}  // namespace vigil::test
