#!/usr/bin/env bash
# The cluster's figures (issue 14, "Must show": make bench), on a throw-away PostgreSQL that the
# test binary starts itself (fsync on, VIGIL_TEST_PG_FSYNC=on) and removes at exit:
#   1. the failover test at VIGIL_FAILOVER_ROUNDS=100: kill -9 of the leader (SIGSTOP every
#      fifth round) at a random phase of the fire grid; failover p50/p99/max, decisions per
#      (job, nominal), executions per (run, attempt) as the jobs counted them, attempt
#      outcomes, the latest a fire was decided after its nominal time;
#   2. follower lag under a paced 1,000 events/s command load on the leader (3 nodes);
#   3. durable appends/s on SQLite (--data-dir) and PostgreSQL (--store), the same load.
#
#   bench/cluster.sh [build dir]          (default: build; bench/all.sh calls it)
#
# Environment (all optional): VIGIL_FAILOVER_ROUNDS=100, VIGIL_FAILOVER_SEED (printed when not
# set), CLUSTER_BENCH_RATE=1000, CLUSTER_BENCH_SECONDS=30, CLUSTER_TIMEOUT=2400 (seconds).
# Output: bench/results/cluster-<UTC>.log (git-ignored), a summary on stdout. Exits non-zero
# when a step failed (its assertions: no duplicate, nothing missing, every event everywhere).
bench_name=cluster
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
build=$(cd "${1:-$repo/build}" && pwd)

tests=$build/tests/cluster_tests
[[ -x $tests ]] || die "$tests not found: the cluster bench is part of the test build (configure with -DVIGIL_TESTS=ON, the default, and build)"
rounds=${VIGIL_FAILOVER_ROUNDS:-100}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "VIGIL_FAILOVER_ROUNDS='$rounds': expected a positive integer"
export VIGIL_FAILOVER_ROUNDS=$rounds VIGIL_TEST_PG_FSYNC=on

mkdir -p "$here/results"
out=$here/results/cluster-$(date -u +%Y%m%dT%H%M%SZ).log
rc=0
step() {  # step NAME FILTER: runs one part, appends its output, remembers a failure
  local name=$1 filter=$2 start secs step_rc=0
  log "$name: ${tests#"$repo"/} \"$filter\" (bounded: ${CLUSTER_TIMEOUT:-2400} s)"
  start=$(date +%s.%N)
  (cd "$build/tests" && timeout --kill-after=10 "${CLUSTER_TIMEOUT:-2400}" "$tests" --warn NoTests "$filter") \
    >>"$out" 2>&1 || step_rc=$?
  secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }')
  if (( step_rc == 0 )); then log "$name: passed in $secs s"
  else log "$name: FAILED (exit $step_rc) after $secs s"; rc=1; fi
}
# (Catch reads ',' in a filter as "or": the name's comma is escaped.)
step "failover, $rounds rounds" 'failover: kill -9 and SIGSTOP of the leader\, every job decided once'
step "follower lag and appends" "[.cluster-bench]"

echo
echo "### Cluster: $rounds failovers, follower lag, appends (PostgreSQL fsync on)"
echo
grep -E '^(failover|decisions|executions|attempts|latest|follower|event age|appends)' "$out" |
  sed 's/^/- /' || true
grep -E '^(All tests passed|test cases:)' "$out" | sed 's/^/- /' || true
echo "- output in \`${out#"$repo"/}\`"
exit "$rc"
