// The leader lease's rules on each node's own monotonic clock: when a follower may campaign,
// and until when a leader may act. Pure: the SQL is store/pg_store, the timer an actor's.
#pragma once

#include <cstdint>
#include <optional>

#include "model/time.hpp"

namespace vigil::model {

/// The lease row's version as a node reads it: a renewal bumps `renewals`, a takeover `term`.
struct lease_version {
  uint64_t term = 0;
  uint64_t renewals = 0;
  friend bool operator==(const lease_version& a, const lease_version& b) {
    return a.term == b.term && a.renewals == b.renewals;
  }
  friend bool operator!=(const lease_version& a, const lease_version& b) { return !(a == b); }
};

/// The lease's durations. A leader stops acting `margin` before a follower may take over, as
/// long as the two monotonic clocks run within margin/ttl of each other (10 % by default); the
/// term checked inside every append keeps the log safe even when they do not.
struct lease_timing {
  duration ttl = std::chrono::seconds(1);
  duration margin = std::chrono::milliseconds(100);
  duration renew_every = std::chrono::milliseconds(200);
};

/// A follower's view: when it last saw the row change. No wall clock is compared: the row
/// carries none that is trusted, only its version.
class lease_watch {
 public:
  /// A read of the row whose answer arrived at `now`. A version never seen before restarts
  /// the wait, so a live leader's renewals keep every follower waiting.
  void observe(lease_version seen, mono_time now);
  /// True once the row has stayed unchanged for a whole TTL since this node saw it change,
  /// and this node has folded the log to its end (a lagging node would decide on old state).
  bool may_campaign(mono_time now, const lease_timing& t, bool caught_up) const;
  /// The version to compare-and-set against, once one was read.
  std::optional<lease_version> last_seen() const { return seen_; }
  /// The moment the row was last seen to change (or first read), on this node's clock.
  std::optional<mono_time> changed_at() const { return changed_at_; }

 private:
  std::optional<lease_version> seen_;
  std::optional<mono_time> changed_at_;
};

/// A leader's own deadline: valid until the *send* time of its last successful renewal +
/// TTL − margin. Sending, not answering, because the row may have committed at any moment
/// after the send; a follower saw it no earlier than that.
class leader_validity {
 public:
  /// The takeover or a renewal sent at `sent` succeeded and its answer came at `answered`.
  /// Returns false when the answer came after the deadline already passed: the leader has
  /// stopped acting by then and must step down, however the database answered.
  bool renewed(mono_time sent, mono_time answered, const lease_timing& t);
  /// Whether it may decide, start runs and append at `now`.
  bool valid(mono_time now) const { return valid_until_ && now < *valid_until_; }
  std::optional<mono_time> valid_until() const { return valid_until_; }
  /// Deposed (a failed renewal, a fenced append): invalid from now on.
  void step_down() {
    valid_until_.reset();
    stepped_down_ = true;
  }
  bool stepped_down() const { return stepped_down_; }

 private:
  std::optional<mono_time> valid_until_;
  bool stepped_down_ = false;
};

}  // namespace vigil::model
