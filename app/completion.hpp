// `vigil completion bash|zsh`: shell completion written from the CLI11 definition itself, so a
// new subcommand or flag is completed without anyone keeping a list.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace vigil::app {

/// A bash script defining `_vigil` and `complete -F _vigil vigil`.
std::string bash_completion(const CLI::App& root);
/// A zsh script (`#compdef vigil`) for a directory on $fpath, or to `source`.
std::string zsh_completion(const CLI::App& root);

}  // namespace vigil::app
