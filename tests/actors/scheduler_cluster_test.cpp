// The scheduler as a cluster node, its lease played by the test on a manual monotonic clock:
// a follower decides nothing and sends commands to the leader; a new leader folds the log
// first; a leader whose validity ran out, or whose append was fenced, stops at once.
#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/journal.hpp"
#include "actors/scheduler.hpp"
#include "actors/system.hpp"
#include "codec/events.hpp"
#include "store/forwarding_store.hpp"
#include "store/memory_store.hpp"
#include "tests/support/caf_deterministic.hpp"

namespace {

using namespace std::chrono_literals;
namespace actors = vigil::actors;
namespace model = vigil::model;
namespace vs = vigil::store;

/// A shared log as one node sees it: appends are fenced unless made under the current term.
class fenced_store final : public vs::forwarding_store {
 public:
  fenced_store() : forwarding_store(std::make_shared<vs::memory_store>()) {}
  uint64_t lease_term = 0;  ///< the term the database's lease row holds
  uint64_t writer_term = 0;
  uint64_t append(uint64_t expected_next, std::vector<vs::stored_event> batch) override {
    if (writer_term != lease_term || lease_term == 0)
      throw vs::fenced("term " + std::to_string(writer_term) + " no longer holds the lease");
    return forwarding_store::append(expected_next, std::move(batch));
  }
  void set_writer_term(const std::string&, uint64_t term) override { writer_term = term; }
};

/// One node on CAF's test coordinator: a message sent here has run by the next line, so a
/// lease's news is in force before the command that follows it.
struct node_fixture {
  vigil::test::deterministic_system d;
  std::shared_ptr<fenced_store> log = std::make_shared<fenced_store>();
  int64_t mono_ns = 1'000'000'000;
  actors::journal_actor journal;
  actors::scheduler_actor scheduler;

  node_fixture() {
    journal = actors::spawn_journal(d.sys(), {log, "epoch-b"});
    actors::scheduler_config sc;
    sc.id = {"node-b", "epoch-b"};
    sc.tick_interval = 5ms;
    sc.wall_clock = actors::system_wall_clock;
    sc.journal = journal;
    sc.clustered = true;
    sc.mono_clock = [this] { return mono(); };
    sc.lease_ttl = 1s;
    scheduler = actors::spawn_scheduler(d.sys(), std::move(sc));
    d.run();
  }
  ~node_fixture() {
    for (auto a : {caf::actor_cast<caf::actor>(scheduler), caf::actor_cast<caf::actor>(journal)})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    d.run();
  }
  model::mono_time mono() const { return model::mono_time{model::duration{mono_ns}}; }
  void advance(model::duration d) { mono_ns += d.count(); }

  void news(model::cluster_role role, uint64_t term, std::string leader, std::string url,
            std::optional<model::mono_time> valid_until = std::nullopt) {
    actors::lease_news n;
    n.standing.role = role;
    n.standing.term = term;
    n.standing.leader_node = std::move(leader);
    n.standing.leader_url = std::move(url);
    n.valid_until = valid_until;
    send(actors::lease_atom::value, std::move(n));
  }
  /// Sends to the scheduler and runs everything it sets off (a lease, a follower's page).
  template <class... Ts>
  void send(Ts&&... xs) {
    caf::anon_send(scheduler, std::forward<Ts>(xs)...);
    d.run();
  }

  actors::command_result command(model::command c) {
    return d.ask<actors::command_result>(scheduler, actors::command_atom::value, std::move(c));
  }
};

/// Events written by another node, as the tail would deliver them.
std::vector<vs::stored_event> written_elsewhere(const std::vector<model::event>& events,
                                                uint64_t first_seq) {
  std::vector<vs::stored_event> out;
  for (const auto& e : events) {
    vs::stored_event s;
    s.seq = first_seq++;
    s.type = std::string(model::event_type(e));
    s.schema_version = model::event_schema_version;
    s.epoch = "epoch-a";
    s.body = vigil::codec::encode_event(e);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

TEST_CASE("a follower decides nothing: a command is sent to the leader, or waits for one",
          "[actors][cluster]") {
  node_fixture f;
  auto r = f.command(model::pause_scheduler{"while nobody leads"});
  CHECK_FALSE(r.accepted);
  CHECK(r.rejected.code == model::errc::unavailable);
  f.news(model::cluster_role::follower, 3, "node-a", "http://10.0.0.1:8080");
  r = f.command(model::pause_scheduler{"to the leader"});
  CHECK_FALSE(r.accepted);
  CHECK(r.rejected.code == model::errc::not_leader);
  CHECK(r.leader_url == "http://10.0.0.1:8080");
  CHECK(f.log->last_seq() == 0);
}

TEST_CASE("a follower folds what others append, in order, and skips a page that jumps",
          "[actors][cluster]") {
  node_fixture f;
  const model::wall_time t{std::chrono::seconds{1'800'000'000}};
  const auto page = written_elsewhere(
      std::vector<model::event>{model::scheduler_paused{"maintenance", t, "http a"},
                                model::scheduler_resumed{"", t, "http a"},
                                model::scheduler_paused{"again", t, "http a"}},
      1);
  // A page that starts at seq 2 does not follow on from 0: nothing of it is applied.
  f.send(actors::follow_atom::value,
         actors::follow_page{std::vector<vs::stored_event>(page.begin() + 1, page.end())});
  f.send(actors::follow_atom::value, actors::follow_page{page});
  // The whole page again (the tail read it twice): applied once.
  f.send(actors::follow_atom::value, actors::follow_page{page});
  f.log->inner().append(1, page);  // the shared log, as the other node wrote it
  f.log->lease_term = 4;
  f.news(model::cluster_role::leader, 4, "node-b", "http://node-b", f.mono() + 900ms);
  // Once leading, the state is the fold of all three: paused "again", at seq 3.
  auto r = f.command(model::resume_scheduler{"after the takeover"});
  REQUIRE(r.accepted);
  REQUIRE(r.snapshot);
  CHECK(r.snapshot->log_seq == 4);
  CHECK(r.snapshot->status == model::scheduler_status::running);
  CHECK(r.snapshot->cluster.enabled);
  CHECK(r.snapshot->cluster.role == model::cluster_role::leader);
  CHECK(f.log->read_after(3, 10).at(0).type == "scheduler_resumed");
}

TEST_CASE("a new leader folds the log to its end before it decides anything", "[actors][cluster]") {
  node_fixture f;
  const model::wall_time t{std::chrono::seconds{1'800'000'000}};
  // The last leader paused the scheduler; this node never saw it through the tail.
  f.log->inner().append(
      1, written_elsewhere(
             std::vector<model::event>{model::scheduler_paused{"frozen", t, "http a"}}, 1));
  f.log->lease_term = 2;
  f.news(model::cluster_role::leader, 2, "node-b", "http://node-b", f.mono() + 900ms);
  // Pausing again changes nothing: the pause was folded before the command was decided.
  auto r = f.command(model::pause_scheduler{"frozen"});
  REQUIRE(r.accepted);
  CHECK_FALSE(r.changed);
  CHECK(f.log->last_seq() == 1);
}

TEST_CASE("a leader stops when its validity runs out, before any renewal says so",
          "[actors][cluster]") {
  node_fixture f;
  f.log->lease_term = 5;
  f.news(model::cluster_role::leader, 5, "node-b", "http://node-b", f.mono() + 900ms);
  auto r = f.command(model::pause_scheduler{"while leading"});
  REQUIRE(r.accepted);
  // 900 ms pass on this node's clock with no renewal: it may no longer act.
  f.advance(900ms);
  r = f.command(model::resume_scheduler{"too late"});
  CHECK_FALSE(r.accepted);
  CHECK(f.log->last_seq() == 1);
}

TEST_CASE("a fenced append steps the leader down and acknowledges nothing", "[actors][cluster]") {
  node_fixture f;
  f.log->lease_term = 6;
  f.news(model::cluster_role::leader, 6, "node-b", "http://node-b", f.mono() + 900ms);
  REQUIRE(f.command(model::pause_scheduler{"term 6"}).accepted);
  f.log->lease_term = 7;  // another node took over; this one has not heard yet
  auto r = f.command(model::resume_scheduler{"from an ex-leader"});
  CHECK_FALSE(r.accepted);
  CHECK(f.log->last_seq() == 1);
  // And it stays down: the next command is not even tried against the log.
  r = f.command(model::resume_scheduler{"again"});
  CHECK_FALSE(r.accepted);
  CHECK(r.rejected.code != model::errc::not_leader);  // no leader known to it yet
  CHECK(f.log->last_seq() == 1);
}
