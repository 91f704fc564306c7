// The runner's orders and the checkpoint policy: pure functions of the durable state.
#include "model/orders.hpp"

#include <algorithm>

namespace vigil::model {

std::vector<order> orders_for(const state& durable, const std::vector<event>& events) {
  std::vector<order> out;
  auto start = [&](const std::string& run_id) {
    auto r = durable.runs.find(run_id);
    if (r == durable.runs.end() || r->second.status != run_status::starting) return;
    auto j = durable.jobs.find(r->second.job);
    if (j == durable.jobs.end()) return;
    const job_spec& spec = *j->second->spec;
    run_order o;
    o.run_id = run_id;
    o.job = spec.id;
    o.attempt = r->second.attempt;
    o.nominal = r->second.nominal;
    o.command = spec.command;
    o.timeout = spec.timeout;
    o.kill_grace = spec.kill_grace;
    o.output_limit = spec.output_limit;
    out.emplace_back(std::move(o));
  };
  auto cancel = [&](const std::vector<std::string>& ids) {
    for (const auto& id : ids) out.emplace_back(cancel_order{id});
  };
  for (const auto& e : events) {
    if (const auto* d = std::get_if<fire_decided>(&e)) {
      cancel(d->cancels);
      if (d->kind == decision_kind::fired) start(d->run_id);
    } else if (const auto* d = std::get_if<run_dispatched>(&e)) {
      start(d->run_id);
    } else if (const auto* d = std::get_if<job_removed>(&e)) {
      cancel(d->cancels);
    }
  }
  return out;
}

bool checkpoint_due(const checkpoint_policy& p, uint64_t fresh, size_t jobs, duration since) {
  if (fresh == 0) return false;
  const uint64_t every = std::max<uint64_t>(p.every, 4 * static_cast<uint64_t>(jobs));
  const bool by_count = p.every > 0 && fresh >= every;
  const auto scale = static_cast<int64_t>(1 + jobs / 10000);
  const bool by_time = p.interval.count() > 0 && since >= p.interval * scale;
  return by_count || by_time;
}

}  // namespace vigil::model
