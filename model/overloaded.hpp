// The usual visitor helper: overloaded{[](const A&) {...}, [](const B&) {...}}.
#pragma once

namespace vigil::model {

template <class... Fs>
struct overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

}  // namespace vigil::model
