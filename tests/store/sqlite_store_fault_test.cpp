// Disk faults on the SQLite log: the append fails cleanly, nothing is lost, the log carries on.
#include "store/sqlite_store.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <optional>

#include "tests/store/store_test_support.hpp"

namespace {

namespace vs = vigil::store;
using Catch::Matchers::Contains;
using namespace vs::testing;  // the sample log and its checks

/// A size-limited tmpfs mounted over a directory for the life of the object (needs root).
class tmpfs_mount {
 public:
  tmpfs_mount(const std::string& dir, const std::string& size) : dir_(dir) {
    const std::string options = "size=" + size + ",mode=0700";
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0)
      mounted_ = true;
    else
      error_ = std::strerror(errno);
  }
  ~tmpfs_mount() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  tmpfs_mount(const tmpfs_mount&) = delete;
  tmpfs_mount& operator=(const tmpfs_mount&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

/// Writes `path` until the file system has no block left.
void fill_up(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  const std::string block(4096, 'f');
  int error = 0;
  while (::write(fd, block.data(), block.size()) > 0) {
  }
  error = errno;
  ::close(fd);
  REQUIRE(error == ENOSPC);
}

}  // namespace

TEST_CASE("a full disk fails the append, loses nothing, and the log continues once space returns",
          "[store][sqlite][fault]") {
  vs::testing::temp_dir dir;
  tmpfs_mount disk{dir.path(), "1m"};
  if (!disk.mounted()) {
    WARN("not run: cannot mount a tmpfs here (" << disk.error() << "); it needs root");
    return;
  }
  const std::string path = dir.file("events.db");
  std::optional<vs::sqlite_store> store{std::in_place, path};
  REQUIRE(store->append(1, sample_batch(1, 10, 100)) == 10);

  fill_up(dir.file("filler"));
  // 32 events of 4 KiB: more than any space SQLite might already hold in its files.
  CHECK_THROWS_WITH(store->append(11, sample_batch(11, 32, 4096)), Contains("full"));
  CHECK(store->last_seq() == 10);
  CHECK(seqs_of(store->read_after(0, 100)) == seq_range(1, 10));
  CHECK_THROWS_WITH(store->append(11, sample_batch(11, 32, 4096)), Contains("full"));

  REQUIRE(::unlink(dir.file("filler").c_str()) == 0);
  REQUIRE(store->append(11, sample_batch(11, 32, 4096)) == 42);
  const auto read = store->read_after(0, 100);
  REQUIRE(seqs_of(read) == seq_range(1, 42));
  CHECK(read[20].body == sample_batch(21, 1, 4096)[0].body);

  // And all of it is on disk, intact, for the next start.
  store.reset();
  store.emplace(path);
  CHECK(store->recovery_notes().empty());
  CHECK(store->last_seq() == 42);
  CHECK(store->read_after(0, 100).size() == 42);
}

TEST_CASE("a write lock held elsewhere fails the append, and the next append continues the log",
          "[store][sqlite][fault]") {
  vs::testing::temp_dir dir;
  vs::sqlite_store store{dir.file("events.db")};
  REQUIRE(store.append(1, sample_batch(1, 3)) == 3);

  vs::testing::raw_db other{dir.file("events.db")};
  other.exec("BEGIN IMMEDIATE");
  CHECK_THROWS_WITH(store.append(4, sample_batch(4, 2)), Contains("locked"));
  CHECK_THROWS_AS(store.save_checkpoint({3, "state at 3"}), vs::store_error);
  CHECK(store.last_seq() == 3);
  other.exec("ROLLBACK");

  REQUIRE(store.append(4, sample_batch(4, 2)) == 5);
  CHECK(seqs_of(store.read_after(0, 100)) == seq_range(1, 5));
  store.save_checkpoint({5, "state at 5"});
  CHECK(store.load_checkpoint()->seq == 5);
}
