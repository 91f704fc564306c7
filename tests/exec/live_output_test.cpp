// The live output ring: positions count every byte, reads across the wrap, what a flood drops,
// and the one-shot notification (at once when there is news, else at the next append or end).
#include <catch2/catch.hpp>

#include <string>

#include "exec/live_output.hpp"

using vigil::exec::live_output;

TEST_CASE("live output: reads by position across the ring's wrap, and what the tail dropped",
          "[exec][output]") {
  live_output out{8};
  out.append("abcde", 5);
  auto r = out.read(0, 100);
  CHECK(r.offset == 0);
  CHECK(r.dropped == 0);
  CHECK(r.bytes == "abcde");
  CHECK(r.total == 5);
  CHECK_FALSE(r.ended);
  CHECK(out.read(2, 2).bytes == "cd");
  out.append("fghijk", 6);  // 11 bytes written, the ring holds the last 8: "defghijk"
  r = out.read(0, 100);
  CHECK(r.dropped == 3);
  CHECK(r.offset == 3);
  CHECK(r.bytes == "defghijk");
  for (uint64_t at = 3; at < 11; ++at) {  // every start, across the seam, one byte at a time
    INFO(at);
    CHECK(out.read(at, 1).bytes == std::string(1, static_cast<char>('a' + at)));
  }
  CHECK(out.read(6, 4).bytes == "ghij");
  CHECK(out.read(11, 4).bytes.empty());  // at the end: nothing yet
  CHECK(out.read(99, 4).offset == 11);   // past it: the end
  CHECK(out.text() == "[vigil: output truncated, 3 earlier bytes dropped]\ndefghijk");
  // One append larger than the ring: only its tail is kept.
  out.append("0123456789ABCDEF", 16);
  CHECK(out.read(0, 100).bytes == "89ABCDEF");
  CHECK(out.total() == 27);
}

TEST_CASE("live output: a notification comes once, at the next news or at once if there is some",
          "[exec][output]") {
  live_output out{64};
  int woken = 0;
  out.notify_after(0, [&] { ++woken; });
  CHECK(woken == 0);  // nothing written yet
  out.append("x", 1);
  CHECK(woken == 1);
  out.append("y", 1);
  CHECK(woken == 1);                      // one-shot
  out.notify_after(1, [&] { ++woken; });  // bytes after 1 are there already
  CHECK(woken == 2);
  out.notify_after(2, [&] { ++woken; });
  out.end({"succeeded", 0, std::nullopt});
  CHECK(woken == 3);  // the end is news too
  const auto r = out.read(2, 10);
  REQUIRE(r.ended);
  CHECK(r.ended->outcome == "succeeded");
  CHECK_FALSE(out.read(0, 1).ended);  // a read that stops before the end is not told it
  CHECK(out.read(0, 10).ended);       // one that reaches it is
  int late = 0;
  out.notify_after(2, [&] { ++late; });  // ended: at once
  CHECK(late == 1);
}
