#!/usr/bin/env bash
# The durable log's figures (issue 4, "Must show"): journal_bench (raw fdatasync/s, durable
# events/s with 16 and 256 producers, cold start and full replay of a 1M-event log), then the
# crash test at 100 SIGKILL rounds.
#
#   bench/durability.sh [build dir]          (default: build; bench/all.sh calls it)
#
# Environment (all optional):
#   JBENCH_DURATION=5 JBENCH_EVENTS=1000000 JBENCH_PRODUCERS=16,256 JBENCH_DIR=/tmp ...
#                          journal_bench's knobs (see the top of bench/journal_bench.cpp)
#   VIGIL_CRASH_ROUNDS=100 SIGKILL rounds of the crash test
#   JBENCH_TIMEOUT=900     seconds before journal_bench is killed
#   CRASH_TIMEOUT=1800     seconds before the crash test is killed
#
# Reports: journal_bench's Markdown on stdout and in bench/results/journal-<UTC>.md; the crash
# test's output in bench/results/crash-<UTC>.log with a summary on stdout. Both steps always run;
# the exit status is non-zero if either failed (a goal not met is reported, not a failure).
bench_name=durability
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
build=${1:-$repo/build}

jbench=$build/bench/journal_bench
tests=$build/tests/system_tests
[[ -x $jbench ]] || die "$jbench not found: build first (make build, or cmake --build $build --target journal_bench)"
[[ -x $tests ]] || die "$tests not found: the crash test needs the test suite (configure with -DVIGIL_TESTS=ON, the default, and build)"
rounds=${VIGIL_CRASH_ROUNDS:-100}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "VIGIL_CRASH_ROUNDS='$rounds': expected a positive integer"

rc=0
log "journal_bench (bounded: ${JBENCH_TIMEOUT:-900} s)"
timeout --kill-after=10 "${JBENCH_TIMEOUT:-900}" "$jbench" || { rc=1; log "journal_bench failed"; }

mkdir -p "$here/results"
crash_log=$here/results/crash-$(date -u +%Y%m%dT%H%M%SZ).log
crash_cmd="VIGIL_CRASH_ROUNDS=$rounds ${tests#"$repo"/} \"[crash]\""
log "crash test: $crash_cmd (bounded: ${CRASH_TIMEOUT:-1800} s)"
start=$(date +%s.%N)
crash_rc=0
VIGIL_CRASH_ROUNDS=$rounds timeout --kill-after=10 "${CRASH_TIMEOUT:-1800}" "$tests" "[crash]" \
  >"$crash_log" 2>&1 || crash_rc=$?
secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
(( crash_rc == 0 )) || rc=1

echo
echo "### Crash test: $rounds SIGKILL rounds under write load"
echo
if (( crash_rc == 0 )); then
  echo "- **passed** in $secs s: after every restart each acknowledged event is in the log, no gaps, serving again"
else
  echo "- **FAILED** (exit $crash_rc) after $secs s; see ${crash_log#"$repo"/}"
fi
grep -E 'acknowledged events over all rounds|^(All tests passed|test cases:)' "$crash_log" | sed 's/^ */- /' || true
echo "- command: \`$crash_cmd\`; output in \`${crash_log#"$repo"/}\`"
log "crash test output in ${crash_log#"$repo"/}"
exit "$rc"
