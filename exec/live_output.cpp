// The output ring: append and end from the supervisor's thread, reads from any thread.
#include "exec/live_output.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace vigil::exec {

void write_end_members(codec::json_writer& w, const output_end& e) {
  w.key("outcome").value(e.outcome).key("exit_code");
  if (e.exit_code)
    w.raw(std::to_string(*e.exit_code));
  else
    w.null();
  w.key("signal");
  if (e.signal)
    w.raw(std::to_string(*e.signal));
  else
    w.null();
}

void live_output::append(const char* data, size_t n) {
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> lock{mu_};
    total_ += n;
    if (limit_ > 0) {
      if (n > limit_) {
        data += n - limit_;
        n = limit_;
      }
      if (ring_.size() < limit_) {
        const size_t take = std::min(n, limit_ - ring_.size());
        if (ring_.size() + take > ring_.capacity()) {
          // Grow geometrically but never past the limit: memory stays within output_limit.
          ring_.reserve(std::min(limit_, std::max(ring_.size() + take, 2 * ring_.capacity())));
        }
        ring_.insert(ring_.end(), data, data + take);
        data += take;
        n -= take;
      }
      while (n > 0) {  // the ring is full: overwrite the oldest bytes, which start at head_
        const size_t take = std::min(n, limit_ - head_);
        std::memcpy(ring_.data() + head_, data, take);
        head_ = (head_ + take) % limit_;
        data += take;
        n -= take;
      }
    }
    wake = std::exchange(notify_, nullptr);
  }
  if (wake) wake();  // outside the lock: it may read
}

void live_output::end(output_end how) {
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> lock{mu_};
    ended_ = std::move(how);
    wake = std::exchange(notify_, nullptr);
  }
  if (wake) wake();
}

output_read live_output::read(uint64_t offset, size_t max) const {
  std::lock_guard<std::mutex> lock{mu_};
  output_read r;
  r.total = total_;
  const uint64_t first = first_kept();
  r.offset = std::min(std::max(offset, first), total_);
  r.dropped = offset < first ? first - offset : 0;
  const size_t n = static_cast<size_t>(std::min<uint64_t>(total_ - r.offset, max));
  r.bytes.reserve(n);
  // The byte at position p is at ring index (head_ + p - first) % size once the ring is full.
  const size_t start = static_cast<size_t>(r.offset - first);
  for (size_t done = 0; done < n;) {
    const size_t at = ring_.size() == limit_ ? (head_ + start + done) % limit_ : start + done;
    const size_t run = std::min(n - done, ring_.size() - at);
    r.bytes.append(ring_.data() + at, run);
    done += run;
  }
  if (r.offset + r.bytes.size() == total_) r.ended = ended_;
  return r;
}

void live_output::notify_after(uint64_t offset, std::function<void()> notify) {
  {
    std::lock_guard<std::mutex> lock{mu_};
    if (total_ <= offset && !ended_) {
      notify_ = std::move(notify);
      return;
    }
    notify_ = nullptr;
  }
  notify();
}

std::string live_output::text() const {
  std::lock_guard<std::mutex> lock{mu_};
  std::string out;
  if (total_ > ring_.size())
    out = "[vigil: output truncated, " + std::to_string(total_ - ring_.size()) +
          " earlier bytes dropped]\n";
  out.append(ring_.begin() + static_cast<std::ptrdiff_t>(head_), ring_.end());
  out.append(ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(head_));
  return out;
}

uint64_t live_output::total() const {
  std::lock_guard<std::mutex> lock{mu_};
  return total_;
}

bool live_output::truncated() const {
  std::lock_guard<std::mutex> lock{mu_};
  return total_ > ring_.size();
}

}  // namespace vigil::exec
