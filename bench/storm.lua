-- wrk script for the background storm: each connection sends POST /v1/scheduler/pause and
-- POST /v1/scheduler/resume alternately over keep-alive (run with -c2: two writers).
-- Counts status codes and how many commands changed the state ("changed":true), and prints
-- one parseable "STORM ..." line from done().

local wrk_codes = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_codes.lua")
setup = wrk_codes.setup

function init(args)
  codes, changed, unchanged = {}, 0, 0
  local h = { ["Content-Type"] = "application/json" }
  reqs = {
    wrk.format("POST", "/v1/scheduler/pause", h, '{"reason":"bench storm"}'),
    wrk.format("POST", "/v1/scheduler/resume", h, '{"reason":"bench storm"}'),
  }
  n = 0
end

-- One Lua state per wrk thread: a global toggle alternates across this thread's connections,
-- so the pause/resume sequence seen by the scheduler alternates too.
function request()
  n = n + 1
  return reqs[(n % 2) + 1]
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
  if body then
    if string.find(body, '"changed":true', 1, true) then
      changed = changed + 1
    elseif string.find(body, '"changed":false', 1, true) then
      unchanged = unchanged + 1
    end
  end
end

function done(summary, latency, requests)
  local ch, unch = 0, 0
  for _, t in ipairs(wrk_codes.threads) do
    ch = ch + (t:get("changed") or 0)
    unch = unch + (t:get("unchanged") or 0)
  end
  local parts, non2xx = wrk_codes.merged_codes()
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "STORM requests=%d duration_s=%.3f rps=%.1f p50_us=%d p99_us=%d max_us=%d non2xx=%d " ..
    "changed=%d unchanged=%d connect=%d read=%d write=%d timeout=%d codes=%s\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(99), latency.max, non2xx, ch, unch,
    e.connect, e.read, e.write, e.timeout, (#parts > 0) and table.concat(parts, ",") or "-"))
end
