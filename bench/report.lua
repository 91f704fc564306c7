-- wrk script for the measured runs: prints one parseable "BENCH ..." line from done().
--
-- wrk itself only counts responses with status >= 400 (summary.errors.status). With
-- BENCH_STATUS_DETAIL=1 (run.sh's default) this script also defines response() and counts
-- every status code, so non-2xx is exact and the codes are known. That costs a Lua call per
-- response in wrk's thread (within run-to-run noise when measured); BENCH_STATUS_DETAIL=0
-- drops it, and then only status >= 400 is counted.

local wrk_codes = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_codes.lua")
setup = wrk_codes.setup

if os.getenv("BENCH_STATUS_DETAIL") == "1" then
  function init(args)
    codes = {}
  end

  function response(status, headers, body)
    codes[status] = (codes[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local parts, non2xx_detail = wrk_codes.merged_codes()
  local secs = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d duration_s=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "status_ge400=%d connect=%d read=%d write=%d timeout=%d codes=%s non2xx_detail=%s\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout,
    (#parts > 0) and table.concat(parts, ",") or "-",
    (#parts > 0) and tostring(non2xx_detail) or "-"))
end
