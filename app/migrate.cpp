// Growing from one node: copy, read back, fold both sides, compare.
#include "app/migrate.hpp"

#include <filesystem>
#include <ostream>
#include <vector>

#include "actors/recovery.hpp"
#include "codec/checkpoint.hpp"
#include "store/data_dir.hpp"
#include "store/pg.hpp"
#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"

namespace vigil::app {
namespace {

constexpr size_t page = 4096;

bool same_event(const store::stored_event& a, const store::stored_event& b) {
  return a.seq == b.seq && a.type == b.type && a.schema_version == b.schema_version &&
         a.time == b.time && a.epoch == b.epoch && a.body == b.body;
}

/// The folded state as its checkpoint encoding: one byte string to compare.
std::string folded(const store::store& s, const std::string& which) {
  auto r = actors::recover(s);
  if (!r.ok) throw store::store_error(which + ": " + r.error);
  return codec::encode_state(r.state);
}

}  // namespace

int run_migrate(const migrate_options& opts, std::ostream& out, std::ostream& err) {
  const std::string target = store::pg::redact(opts.to);
  try {
    if (opts.to.empty()) {
      err << "vigil migrate: no target: give --to postgresql://... or set VIGIL_STORE\n";
      return 1;
    }
    if (!std::filesystem::exists(std::filesystem::path(opts.from) / "events.db")) {
      err << "vigil migrate: no event log at " << opts.from << " (no events.db)\n";
      return 1;
    }
    // The data directory's lock: a daemon still running on it would go on writing.
    auto dir = store::data_dir::open(opts.from);
    store::sqlite_store source{dir.file("events.db")};
    store::pg_store dest{opts.to, {}};
    if (dest.last_seq() != 0 || !dest.load_checkpoints().empty()) {
      err << "vigil migrate: " << target << " already holds an event log (seq " << dest.last_seq()
          << "); migrate copies into an empty one only\n";
      return 1;
    }
    // Appends are fenced like any leader's: migrate holds the lease while it copies.
    if (!dest.take_over(dest.read_lease(), "vigil-migrate", "")) {
      err << "vigil migrate: another node took the lease of " << target << " meanwhile\n";
      return 1;
    }
    uint64_t copied = 0;
    for (;;) {
      auto events = source.read_after(copied, page);
      if (events.empty()) break;
      const uint64_t first = events.front().seq;
      copied = dest.append(first, std::move(events));
    }
    const auto checkpoint = source.load_checkpoint();
    if (checkpoint) dest.save_checkpoint(*checkpoint);

    // Verify: the same events, byte for byte, and the same fold.
    uint64_t verified = 0;
    for (;;) {
      const auto a = source.read_after(verified, page);
      const auto b = dest.read_after(verified, page);
      if (a.size() != b.size()) throw store::store_error("the copy's length differs");
      if (a.empty()) break;
      for (size_t i = 0; i < a.size(); ++i)
        if (!same_event(a[i], b[i]))
          throw store::store_error("event " + std::to_string(a[i].seq) + " differs in the copy");
      verified = a.back().seq;
    }
    if (folded(source, opts.from) != folded(dest, target))
      throw store::store_error("the copy folds to a different state than the source");
    out << "migrated " << copied << " events"
        << (checkpoint ? " and the checkpoint at seq " + std::to_string(checkpoint->seq)
                       : std::string{" (no checkpoint)"})
        << " from " << opts.from << " to " << target << "; verified: same events, same state\n";
    return 0;
  } catch (const std::exception& e) {
    // Messages from the stores carry the redacted conninfo only.
    err << "vigil migrate: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace vigil::app
