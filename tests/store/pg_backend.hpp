// The PostgreSQL backend for the store tests: a fresh schema on the tests' own server, leased.
#pragma once

#include <memory>
#include <string>

#include "store/pg_store.hpp"
#include "tests/support/pg_instance.hpp"

namespace vigil::store::testing {

/// A pg_store on a schema nobody else uses, holding the lease (term 1) so that it may append.
struct pg_backend {
  std::string conninfo = vigil::test::pg_instance::shared().fresh_conninfo();
  pg_store store{conninfo, {}};
  pg_backend() {
    if (!store.take_over(store.read_lease(), "contract-test", "http://127.0.0.1:1"))
      throw std::runtime_error("a fresh schema's lease could not be taken");
  }
};

}  // namespace vigil::store::testing
