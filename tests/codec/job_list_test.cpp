// GET /v1/jobs pages as the scheduler renders them: a filter over many jobs stops after a
// bounded number examined, and following `next` finds every match exactly once.
#include "codec/job_views.hpp"
#include "tests/support/unit_model.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
namespace m = vigil::model;
namespace codec = vigil::codec;

/// A page as GET /v1/jobs answers it: selected from the state, then rendered.
std::string job_list(const m::state& s, const std::string& after, size_t limit,
                     m::job_filter filter = m::job_filter::all, size_t max_examined = 10'000,
                     const std::string& prefix = {}) {
  return codec::render_job_page(m::select_jobs(s, after, limit, filter, max_examined, prefix));
}

/// `n` jobs "j00000" ... with every `every`-th one failing.
m::state jobs(size_t n, size_t every) {
  m::state s;
  for (size_t i = 0; i < n; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "j%05zu", i);
    auto spec = vigil::test::shared_spec(id, "@every 1m");
    m::job_state j;
    j.spec = spec;
    if (i % every == 0) j.status.consecutive_failures = 1;
    s.jobs.emplace(id, m::job_cell{std::move(j)});
  }
  return s;
}

std::vector<std::string> ids(const json& page) {
  std::vector<std::string> out;
  for (const auto& j : page["jobs"]) out.push_back(j["id"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("a filtered job list examines a bounded number of jobs and pages on by next",
          "[codec][jobs]") {
  const m::state s = jobs(250, 40);  // failing: j00000, j00040, ..., j00240 (7 of them)

  // At most 100 examined per page: the first page has the three failing among j00000..j00099.
  const json first = json::parse(job_list(s, "", 50, m::job_filter::failing, 100));
  CHECK(ids(first) == std::vector<std::string>{"j00000", "j00040", "j00080"});
  CHECK(first["next"] == "j00099");
  CHECK(first["total"] == 250);
  for (const auto& j : first["jobs"]) CHECK(j["status"]["failing"] == true);

  // Following next until it is null yields every match once, in order.
  std::vector<std::string> all;
  std::string after;
  int pages = 0;
  for (;;) {
    const json page = json::parse(job_list(s, after, 2, m::job_filter::failing, 100));
    for (const auto& id : ids(page)) all.push_back(id);
    REQUIRE(++pages < 20);
    if (page["next"].is_null()) break;
    after = page["next"].get<std::string>();
  }
  CHECK(all == std::vector<std::string>{"j00000", "j00040", "j00080", "j00120", "j00160", "j00200",
                                        "j00240"});

  // A stretch with no match: an empty page that still says where to go on.
  const json empty = json::parse(job_list(s, "j00000", 50, m::job_filter::failing, 30));
  CHECK(ids(empty).empty());
  CHECK(empty["next"] == "j00030");

  // Unfiltered, a page is `limit` jobs and next its last id, as before.
  const json plain = json::parse(job_list(s, "", 3));
  CHECK(ids(plain) == std::vector<std::string>{"j00000", "j00001", "j00002"});
  CHECK(plain["next"] == "j00002");
  const json last = json::parse(job_list(s, "j00247", 3));
  CHECK(ids(last) == std::vector<std::string>{"j00248", "j00249"});
  CHECK(last["next"].is_null());
}

TEST_CASE("a prefix keeps one range of ids, pages within it and ends where it ends",
          "[codec][jobs]") {
  const m::state s = jobs(250, 40);  // j00000 .. j00249

  const json all = json::parse(job_list(s, "", 50, m::job_filter::all, 10'000, "j0012"));
  CHECK(ids(all) == std::vector<std::string>{"j00120", "j00121", "j00122", "j00123", "j00124",
                                             "j00125", "j00126", "j00127", "j00128", "j00129"});
  CHECK(all["next"].is_null());  // the range ended: no next page, though later ids exist
  CHECK(all["total"] == 250);

  // Pages of 4 inside the range, following next.
  const json first = json::parse(job_list(s, "", 4, m::job_filter::all, 10'000, "j0012"));
  CHECK(ids(first) == std::vector<std::string>{"j00120", "j00121", "j00122", "j00123"});
  REQUIRE(first["next"] == "j00123");
  const json third = json::parse(job_list(s, "j00127", 4, m::job_filter::all, 10'000, "j0012"));
  CHECK(ids(third) == std::vector<std::string>{"j00128", "j00129"});
  CHECK(third["next"].is_null());

  // A cursor before the range starts at the range; a prefix and a filter combine.
  const json early = json::parse(job_list(s, "a", 2, m::job_filter::all, 10'000, "j0024"));
  CHECK(ids(early) == std::vector<std::string>{"j00240", "j00241"});
  const json failing = json::parse(job_list(s, "", 50, m::job_filter::failing, 10'000, "j002"));
  CHECK(ids(failing) == std::vector<std::string>{"j00200", "j00240"});
  CHECK(ids(json::parse(job_list(s, "", 50, m::job_filter::all, 10'000, "x"))).empty());
}
