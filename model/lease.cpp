// The lease rules: campaign after a TTL unchanged on one's own clock; act until send + TTL −
// margin.
#include "model/lease.hpp"

#include "model/cluster.hpp"

namespace vigil::model {

void lease_watch::observe(lease_version seen, mono_time now) {
  if (!seen_ || *seen_ != seen) {
    seen_ = seen;
    changed_at_ = now;
  }
}

bool lease_watch::may_campaign(mono_time now, const lease_timing& t, bool caught_up) const {
  return caught_up && changed_at_ && now - *changed_at_ >= t.ttl;
}

bool leader_validity::renewed(mono_time sent, mono_time answered, const lease_timing& t) {
  if (stepped_down_) return false;
  // A first term (no deadline yet) or a renewal answered in time extends the deadline.
  if (valid_until_ && answered >= *valid_until_) {
    step_down();
    return false;
  }
  const mono_time until = sent + t.ttl - t.margin;
  if (answered >= until) {  // so slow that even this renewal's own window has passed
    step_down();
    return false;
  }
  valid_until_ = until;
  return true;
}

const char* to_string(cluster_role r) {
  switch (r) {
    case cluster_role::follower:
      return "follower";
    case cluster_role::leader:
      return "leader";
    case cluster_role::standalone:
      break;
  }
  return "standalone";
}

}  // namespace vigil::model
