// The data directory: created private, held by one owner at a time, refused when it is a file.
#include "store/data_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <optional>
#include <sstream>

#include "store/store.hpp"
#include "tests/store/store_test_support.hpp"

namespace {

namespace vs = vigil::store;
using Catch::Matchers::Contains;

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string this_pid = std::to_string(::getpid());

}  // namespace

TEST_CASE("a missing data directory is created with mode 0700 and records its holder",
          "[store][data_dir]") {
  vs::testing::temp_dir parent;
  const std::string path = parent.file("data");
  auto dir = vs::data_dir::open(path);

  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK((st.st_mode & 07777) == 0700);
  CHECK(read_file(path + "/vigil.lock") == this_pid + "\n");
  CHECK(dir.path() == path);
  CHECK(dir.file("events.db") == path + "/events.db");
}

TEST_CASE("a second open of a held data directory is refused, naming the holder's pid",
          "[store][data_dir]") {
  vs::testing::temp_dir parent;
  const std::string path = parent.file("data");
  auto held = vs::data_dir::open(path);
  CHECK_THROWS_WITH(vs::data_dir::open(path),
                    Contains("data directory " + path + " is in use by pid " + this_pid));
  // The refused attempt did not disturb the holder's record.
  CHECK(read_file(path + "/vigil.lock") == this_pid + "\n");
}

TEST_CASE("a data directory opens again once its holder is gone, and a move keeps the lock",
          "[store][data_dir]") {
  vs::testing::temp_dir parent;
  const std::string path = parent.file("data");
  std::optional<vs::data_dir> holder{vs::data_dir::open(path)};
  {
    vs::data_dir moved{std::move(*holder)};
    holder.reset();  // the moved-from object must not release the lock it no longer owns
    CHECK_THROWS_AS(vs::data_dir::open(path), vs::store_error);
  }
  auto again = vs::data_dir::open(path);
  CHECK(again.file("x") == path + "/x");
}

TEST_CASE("an existing data directory keeps its contents and a trailing slash is tolerated",
          "[store][data_dir]") {
  vs::testing::temp_dir parent;
  std::ofstream{parent.file("events.db")} << "kept";
  auto dir = vs::data_dir::open(parent.path() + "/");
  CHECK(dir.file("events.db") == parent.file("events.db"));
  CHECK(read_file(dir.file("events.db")) == "kept");
}

TEST_CASE("a data directory path that is a regular file is refused", "[store][data_dir]") {
  vs::testing::temp_dir parent;
  std::ofstream{parent.file("data")} << "not a directory";
  CHECK_THROWS_WITH(vs::data_dir::open(parent.file("data")), Contains("is not a directory"));
}

TEST_CASE("a data directory whose parent is missing is refused", "[store][data_dir]") {
  vs::testing::temp_dir parent;
  CHECK_THROWS_WITH(vs::data_dir::open(parent.file("missing/data")),
                    Contains("cannot create data directory " + parent.file("missing/data")));
}
