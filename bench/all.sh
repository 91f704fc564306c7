#!/usr/bin/env bash
# make bench: every benchmark, one after the other, none skipped when another fails:
#   1. bench/run.sh         GET /health against GET /v1/version, idle and under a storm (wrk);
#   2. bench/durability.sh  journal_bench (durable events/s, cold start, replay) and the crash
#                           test at VIGIL_CRASH_ROUNDS=100;
#   3. stream_bench         snapshot-stream delivery latency (1,000 subscribers) and RSS with
#                           1,000 stalled ones;
#   4. output_bench         live output: delivery latency of one chatty run's lines to 1,000
#                           followers, every line once in order, the daemon's CPU against a
#                           window without followers, its RSS;
#   5. jobs_bench           fire-decision lateness with 100,000 jobs (~200 fires/s, /bin/true)
#                           and the daemon's RSS (JOBS_BENCH_JOBS / JOBS_BENCH_WINDOW for less);
#   6. bench/cluster.sh     100 failovers, follower lag under 1,000 events/s, durable appends/s
#                           on SQLite vs PostgreSQL (a throw-away PostgreSQL, fsync on).
#
#   bench/all.sh [build dir]          (default: build; make bench: bench/all.sh $(BUILD))
#
# Each script's environment knobs apply (see their headers). Reports go to stdout and to
# bench/results/ (git-ignored). Exits non-zero if any step failed.
bench_name=bench/all
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
build=${1:-$repo/build}

failed=()
log "1/6 bench/run.sh $build/app/vigil"
"$here/run.sh" "$build/app/vigil" || failed+=("bench/run.sh (exit $?)")
echo
log "2/6 bench/durability.sh $build"
"$here/durability.sh" "$build" || failed+=("bench/durability.sh (exit $?)")
echo
log "3/6 $build/bench/stream_bench $build/app/vigil"
timeout 300 "$build/bench/stream_bench" "$build/app/vigil" || failed+=("stream_bench (exit $?)")
echo
log "4/6 $build/bench/output_bench $build/app/vigil"
timeout 300 "$build/bench/output_bench" "$build/app/vigil" || failed+=("output_bench (exit $?)")
echo
log "5/6 $build/bench/jobs_bench $build/app/vigil"
timeout 1200 "$build/bench/jobs_bench" "$build/app/vigil" || failed+=("jobs_bench (exit $?)")
echo
log "6/6 bench/cluster.sh $build"
"$here/cluster.sh" "$build" || failed+=("bench/cluster.sh (exit $?)")

if (( ${#failed[@]} > 0 )); then
  log "failed: ${failed[*]}"
  exit 1
fi
log "all benchmarks ran; reports in ${here#"$repo"/}/results/"
