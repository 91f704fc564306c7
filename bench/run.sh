#!/usr/bin/env bash
# vigil benchmark: GET /health against the constant GET /v1/version, side by side, with wrk,
# idle and under a storm (tick 1 ms plus two writers pausing/resuming over keep-alive).
#
#   bench/run.sh [path/to/vigil]          (make bench calls: bench/run.sh build/app/vigil)
#
# Environment (all optional):
#   BENCH_DURATION=10s     length of every measured wrk run (wrk syntax: 10s, 1m, 30)
#   BENCH_CONNECTIONS=64   wrk connections of the measured runs
#   BENCH_THREADS=1        wrk threads of the measured runs
#   BENCH_ROUNDS=1         repeat both scenarios; even rounds run /health first (drift cancels)
#   BENCH_WARMUP=2s        unrecorded warm-up run per route before round 1 (0 to skip)
#   BENCH_STATUS_DETAIL=1  count every status code in wrk's response() (0: only status >= 400)
#   BENCH_DAEMON_ARGS=""   extra flags for `vigil serve` (recorded in the output)
#
# The Markdown report goes to stdout and to bench/results/health-<UTC timestamp>.md (git-ignored,
# that copy also holds the raw wrk output); progress goes to stderr. Exits non-zero if the
# harness fails (daemon does not start in 10 s, a route misbehaves before the runs, wrk fails,
# the daemon does not exit 0 on SIGTERM). Goals not met are reported, not an error.
bench_name=bench
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# --- inputs -------------------------------------------------------------------------------
bin=${1:-$repo/build/app/vigil}
duration=${BENCH_DURATION:-10s}
conns=${BENCH_CONNECTIONS:-64}
wthreads=${BENCH_THREADS:-1}
rounds=${BENCH_ROUNDS:-1}
warmup=${BENCH_WARMUP:-2s}
export BENCH_STATUS_DETAIL=${BENCH_STATUS_DETAIL:-1}
daemon_extra=${BENCH_DAEMON_ARGS:-}
tick=1ms
storm_conns=2

for tool in wrk curl; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: run 'make deps' (Debian package '$tool')"
done
[[ -x $bin ]] || die "daemon binary '$bin' not found or not executable: run 'make build' first"
[[ $duration =~ ^[0-9]+[smh]?$ ]] || die "BENCH_DURATION='$duration': expected e.g. 10s, 1m, 30"
[[ $warmup =~ ^[0-9]+[smh]?$ ]] || die "BENCH_WARMUP='$warmup': expected e.g. 2s or 0"
[[ $conns =~ ^[1-9][0-9]*$ ]] || die "BENCH_CONNECTIONS='$conns': expected a positive integer"
[[ $wthreads =~ ^[1-9][0-9]*$ ]] || die "BENCH_THREADS='$wthreads': expected a positive integer"
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS='$rounds': expected a positive integer"
(( wthreads <= conns )) || die "BENCH_THREADS must not exceed BENCH_CONNECTIONS"

to_seconds() {
  local v=$1
  case $v in
    *h) echo $(( ${v%h} * 3600 )) ;;
    *m) echo $(( ${v%m} * 60 )) ;;
    *s) echo $(( ${v%s} )) ;;
    *) echo $(( v )) ;;
  esac
}
secs=$(to_seconds "$duration")
warm_secs=$(to_seconds "$warmup")
(( secs >= 1 )) || die "BENCH_DURATION must be at least 1s"
storm_secs=$(( secs + 2 ))   # starts 1 s before the measured run, ends ~1 s after it
wrk_bound=$(( secs + 30 ))   # hard wall-clock bound on any wrk process

# --- state and cleanup --------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench.XXXXXX")
daemon_pid=""
storm_pid=""
wrk_pid=""   # the measured (or warm-up) wrk, run in the background so signals are handled at once

stop_pid() {   # stop_pid PID SIGNAL GRACE_SECONDS: signal, wait up to the grace, then SIGKILL
  local pid=$1 sig=$2 grace=$3 i
  kill "-$sig" "$pid" 2>/dev/null || return 0
  for (( i = 0; i < grace * 10; i++ )); do
    [[ -e /proc/$pid && $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT
  if [[ -n $wrk_pid ]]; then stop_pid "$wrk_pid" TERM 2; fi
  if [[ -n $storm_pid ]]; then stop_pid "$storm_pid" TERM 2; fi
  if [[ -n $daemon_pid ]]; then
    stop_pid "$daemon_pid" TERM 15
    wait "$daemon_pid" 2>/dev/null || true
  fi
  if (( rc != 0 )) && [[ -s $tmp/daemon.err ]]; then
    log "daemon stderr (last 20 lines):"
    tail -n 20 "$tmp/daemon.err" >&2
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted (SIGINT)"; exit 130' INT
trap 'log "terminated (SIGTERM)"; exit 143' TERM
trap 'log "failed at line $LINENO: $BASH_COMMAND"' ERR

# --- helpers ------------------------------------------------------------------------------
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2" | head -n1; }   # kv KEY "k=v k=v ..."
proc_field() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$daemon_pid/status"; }
cpu_ticks() { sed 's/^.*) //' "/proc/$daemon_pid/stat" | awk '{print $12 + $13}'; }
clk_tck=$(getconf CLK_TCK)
now_ns() { date +%s%N; }
ms() { awk -v u="$1" 'BEGIN { printf "%.2f ms", u / 1000 }'; }

base=""   # http://127.0.0.1:PORT
raw_log=$tmp/raw.txt
: >"$raw_log"

declare -A R   # results: R[key.field], key = scenario.round.route

# bounded OUT SECONDS CMD...: run CMD with a hard time bound, output to OUT. In the background
# plus `wait`, so that SIGINT/SIGTERM reach the traps (and the cleanup) without delay.
bounded() {
  local out=$1 bound=$2 rc=0
  shift 2
  timeout --kill-after=5 "$bound" "$@" >"$out" 2>&1 &
  wrk_pid=$!
  wait "$wrk_pid" || rc=$?
  wrk_pid=""
  return "$rc"
}

# run_wrk KEY PATH: one measured run, results into R[KEY.*]
run_wrk() {
  local key=$1 path=$2 out=$tmp/wrk.$1.out c0 c1 t0 t1 line
  local cmd=(wrk "-t$wthreads" "-c$conns" "-d$duration" --latency -s "$here/report.lua" "$base$path")
  log "run $key: ${cmd[*]}"
  c0=$(cpu_ticks); t0=$(now_ns)
  bounded "$out" "$wrk_bound" "${cmd[@]}" || { cat "$out" >&2; die "wrk failed ($key)"; }
  c1=$(cpu_ticks); t1=$(now_ns)
  { echo "### $key: ${cmd[*]}"; cat "$out"; echo; } >>"$raw_log"
  line=$(grep '^BENCH ' "$out" || true)
  [[ -n $line ]] || { cat "$out" >&2; die "no BENCH line from wrk ($key)"; }
  R[$key.line]=$line
  R[$key.cpu]=$(awk -v c=$(( c1 - c0 )) -v hz="$clk_tck" -v ns=$(( t1 - t0 )) \
    'BEGIN { printf "%.0f%%", 100 * (c / hz) / (ns / 1e9) }')
}

storm_start() {   # storm_start KEY: background writers, -c2 alternating pause/resume
  local key=$1
  local cmd=(wrk -t1 "-c$storm_conns" "-d${storm_secs}s" -s "$here/storm.lua" "$base")
  log "storm $key: ${cmd[*]}"
  timeout --kill-after=5 $(( storm_secs + 30 )) "${cmd[@]}" >"$tmp/storm.$key.out" 2>&1 &
  storm_pid=$!
  sleep 1
}

storm_stop() {    # storm_stop KEY: wait for the storm wrk to finish (bounded by its timeout)
  local key=$1 line rc=0
  wait "$storm_pid" || rc=$?
  storm_pid=""
  { echo "### storm during $key"; cat "$tmp/storm.$key.out"; echo; } >>"$raw_log"
  (( rc == 0 )) || { cat "$tmp/storm.$key.out" >&2; die "storm wrk failed (exit $rc) during $key"; }
  line=$(grep '^STORM ' "$tmp/storm.$key.out" || true)
  [[ -n $line ]] || die "no STORM line from the storm wrk during $key"
  R[$key.storm]=$line
}

# --- start the daemon ---------------------------------------------------------------------
# shellcheck disable=SC2206   # BENCH_DAEMON_ARGS is split on purpose
daemon_cmd=("$bin" serve --listen 127.0.0.1:0 --tick-interval "$tick" --test-hooks $daemon_extra)
log "starting: ${daemon_cmd[*]}"
: >"$tmp/daemon.out"   # exist before the poll below (a background job opens them asynchronously)
: >"$tmp/daemon.err"
"${daemon_cmd[@]}" >"$tmp/daemon.out" 2>"$tmp/daemon.err" &
daemon_pid=$!

port=""
for (( i = 0; i < 100; i++ )); do
  # The daemon logs to stderr, its "listening on" line included.
  port=$(sed -n 's#.* listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$tmp/daemon.err" | head -n1)
  [[ -n $port ]] && break
  if ! kill -0 "$daemon_pid" 2>/dev/null; then
    wait "$daemon_pid" && rc=0 || rc=$?
    daemon_pid=""
    die "daemon exited (code $rc) before listening"
  fi
  sleep 0.1
done
[[ -n $port ]] || die "daemon did not print 'listening on http://127.0.0.1:PORT' within 10 s"
base="http://127.0.0.1:$port"
log "daemon pid $daemon_pid on $base"

# Pre-flight: every route the bench uses answers as expected, before any measurement.
code=""
for (( i = 0; i < 100; i++ )); do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/health" || true)
  [[ $code == 200 ]] && break
  sleep 0.1
done
[[ $code == 200 ]] || die "GET /health answered '$code', not 200, within 10 s of start"
version_json=$(curl -fsS --max-time 2 "$base/v1/version") || die "GET /v1/version failed"
for verb in pause resume; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST \
    -H 'Content-Type: application/json' -d '{"reason":"bench preflight"}' "$base/v1/scheduler/$verb" || true)
  [[ $code == 200 ]] || die "POST /v1/scheduler/$verb answered '$code', not 200"
done
rss_start=$(proc_field VmRSS)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

if (( warm_secs > 0 )); then
  for path in /v1/version /health; do
    log "warm-up $path ($warmup, not recorded)"
    bounded "$tmp/warmup.out" $(( warm_secs + 30 )) wrk "-t$wthreads" "-c$conns" "-d$warmup" "$base$path" ||
      { cat "$tmp/warmup.out" >&2; die "warm-up wrk failed"; }
  done
fi

# --- the runs -----------------------------------------------------------------------------
routes_for_round() { if (( $1 % 2 == 1 )); then echo "version health"; else echo "health version"; fi; }
path_of() { if [[ $1 == version ]]; then echo /v1/version; else echo /health; fi; }

for (( r = 1; r <= rounds; r++ )); do
  for scen in idle storm; do
    for route in $(routes_for_round "$r"); do
      key=$scen.$r.$route
      sleep 1   # let the previous run's connections close
      if [[ $scen == storm ]]; then storm_start "$key"; fi
      run_wrk "$key" "$(path_of "$route")"
      if [[ $scen == storm ]]; then storm_stop "$key"; fi
    done
    R[$scen.$r.rss]=$(proc_field VmRSS)
    R[$scen.$r.hwm]=$(proc_field VmHWM)
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- stop the daemon: SIGTERM, bounded, exit code must be 0 -------------------------------
log "stopping daemon (SIGTERM)"
kill -TERM "$daemon_pid"
( sleep 20; kill -KILL "$daemon_pid" 2>/dev/null ) &
watchdog=$!
daemon_rc=0
wait "$daemon_pid" || daemon_rc=$?
daemon_pid=""
kill "$watchdog" 2>/dev/null || true
wait "$watchdog" 2>/dev/null || true

# --- report -------------------------------------------------------------------------------
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$here/results"
report=$here/results/health-$stamp.md

git_rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ $git_rev != unknown ]] && [[ -n $(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  git_rev="$git_rev (working tree modified)"
fi
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
mem_total=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)

non2xx_of() {   # the non-2xx figure of one run, with the codes when known
  local l=$1 detail codes
  detail=$(kv non2xx_detail "$l"); codes=$(kv codes "$l")
  if [[ $detail == - || -z $detail ]]; then
    echo "$(kv status_ge400 "$l") (≥400 only)"
  elif [[ $detail == 0 ]]; then
    echo 0
  else
    echo "$detail ($(tr ',' '\n' <<<"$codes" | grep -v '^2[0-9][0-9]:' | paste -sd' ' -))"
  fi
}
non2xx_count() { local l=$1 d; d=$(kv non2xx_detail "$l"); [[ $d == - ]] && d=$(kv status_ge400 "$l"); echo "$d"; }
sock_errs() { echo "$(kv connect "$1")/$(kv read "$1")/$(kv write "$1")/$(kv timeout "$1")"; }
sock_total() { echo $(( $(kv connect "$1") + $(kv read "$1") + $(kv write "$1") + $(kv timeout "$1") )); }

each_scenario() {  # each_scenario FN: FN SCEN ROUND LABEL for every round's idle and storm run
  local r scen label
  for (( r = 1; r <= rounds; r++ )); do
    for scen in idle storm; do
      label=$scen; (( rounds > 1 )) && label="$scen #$r"
      "$1" "$scen" "$r" "$label"
    done
  done
}

ratios_idle=(); ratios_storm=(); worst_storm_p99=0; total_non2xx=0; total_sock=0
{
  echo "# vigil bench: GET /health vs GET /v1/version"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "- machine: $(nproc) CPUs ($cpu_model), $mem_total RAM, kernel $(uname -sr) $(uname -m)"
  echo "- load average (1/5/15 min): $load_before before the runs, $load_after after"
  echo "- daemon: \`$bin\`, git $git_rev; /v1/version: \`$version_json\`"
  echo "- wrk: $(wrk --version 2>&1 | head -n1 | awk '{print $1, $2}'); each run ${duration}, ${wthreads} thread(s), ${conns} connections, keep-alive; rounds: $rounds; warm-up: $warmup per route"
  echo "- storm: tick ${tick} plus ${storm_conns} writer connections (one wrk, -c${storm_conns}) alternating POST /v1/scheduler/pause and /resume; started 1 s before the measured run, ${storm_secs}s long"
  echo
  echo "| scenario | route | req/s | p50 | p99 | non-2xx | socket errors (conn/read/write/timeout) | daemon CPU | /health ÷ /v1/version |"
  echo "|---|---|---:|---:|---:|---:|---|---:|---:|"
  run_rows() {  # run_rows SCEN ROUND LABEL: one run's row per route; sums up the goals' figures
    local scen=$1 r=$2 label=$3 route l ratio
    for route in $(routes_for_round "$r"); do
      l=${R[$scen.$r.$route.line]}
      ratio=""
      if [[ $route == health ]]; then
        ratio=$(awk -v h="$(kv rps "$l")" -v v="$(kv rps "${R[$scen.$r.version.line]}")" \
          'BEGIN { printf "%.2f×", (v > 0 ? h / v : 0) }')
        if [[ $scen == idle ]]; then ratios_idle+=("${ratio%×}"); else ratios_storm+=("${ratio%×}"); fi
        if [[ $scen == storm ]] && (( $(kv p99_us "$l") > worst_storm_p99 )); then worst_storm_p99=$(kv p99_us "$l"); fi
      fi
      total_non2xx=$(( total_non2xx + $(non2xx_count "$l") ))
      total_sock=$(( total_sock + $(sock_total "$l") ))
      printf '| %s | %s | %.0f | %s | %s | %s | %s | %s | %s |\n' "$label" "$(path_of "$route")" \
        "$(kv rps "$l")" "$(ms "$(kv p50_us "$l")")" "$(ms "$(kv p99_us "$l")")" \
        "$(non2xx_of "$l")" "$(sock_errs "$l")" "${R[$scen.$r.$route.cpu]}" "$ratio"
    done
  }
  each_scenario run_rows
  echo
  echo "Daemon CPU: its user+system time during the run over wall time (200% = both cores of a 2-CPU machine)."
  echo
  echo "**Daemon memory** (/proc/PID/status): VmRSS $(( rss_start / 1024 )) MiB after start-up"
  echo
  echo "| end of scenario | VmRSS | VmHWM (peak) |"
  echo "|---|---:|---:|"
  memory_row() {  # memory_row SCEN ROUND LABEL: VmRSS and VmHWM at the end of one scenario
    printf '| %s | %.1f MiB | %.1f MiB |\n' "$3" "$(awk -v k="${R[$1.$2.rss]}" 'BEGIN{print k/1024}')" \
      "$(awk -v k="${R[$1.$2.hwm]}" 'BEGIN{print k/1024}')"
  }
  each_scenario memory_row
  echo
  echo "**Storm writers** (the background wrk, over its whole ${storm_secs}s)"
  echo
  echo "| during | POST req/s | changed state | no change | non-2xx | p50 | p99 | socket errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  for (( r = 1; r <= rounds; r++ )); do
    for route in $(routes_for_round "$r"); do
      s=${R[storm.$r.$route.storm]}
      label="$(path_of "$route")"; (( rounds > 1 )) && label="$label #$r"
      codes=$(kv codes "$s")
      n2=$(kv non2xx "$s"); [[ $n2 == 0 ]] || n2="$n2 ($(tr ',' '\n' <<<"$codes" | grep -v '^2[0-9][0-9]:' | paste -sd' ' -))"
      printf '| %s | %.0f | %s | %s | %s | %s | %s | %s |\n' "$label" "$(kv rps "$s")" "$(kv changed "$s")" \
        "$(kv unchanged "$s")" "$n2" "$(ms "$(kv p50_us "$s")")" "$(ms "$(kv p99_us "$s")")" "$(sock_errs "$s")"
    done
  done
  echo
  median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
  mi=$(median "${ratios_idle[@]}"); ms_=$(median "${ratios_storm[@]}")
  verdict() { if [[ $1 == 1 ]]; then echo met; else echo "**not met**"; fi; }
  echo "**Goals** (issue 2, must show 6)$( (( rounds > 1 )) && echo "; ratios are medians over $rounds rounds, p99 the worst round")"
  echo
  echo "- /health ≥ 0.8× /v1/version idle: ${mi}× — $(verdict "$(awk -v x="$mi" 'BEGIN{print (x >= 0.8)}')")"
  echo "- /health ≥ 0.8× /v1/version under the storm: ${ms_}× — $(verdict "$(awk -v x="$ms_" 'BEGIN{print (x >= 0.8)}')")"
  echo "- 0 non-2xx in the measured runs: $total_non2xx — $(verdict "$(( total_non2xx == 0 ))")"
  echo "- /health p99 ≤ 20 ms under the storm: $(ms "$worst_storm_p99") — $(verdict "$(( worst_storm_p99 <= 20000 ))")"
  echo "- socket errors/timeouts in the measured runs: $total_sock"
  echo "- daemon exit code after SIGTERM: $daemon_rc"
  echo
  echo "**Commands**"
  echo
  echo '```'
  echo "BENCH_DURATION=$duration BENCH_CONNECTIONS=$conns BENCH_THREADS=$wthreads BENCH_ROUNDS=$rounds BENCH_WARMUP=$warmup bench/run.sh $bin"
  echo "${daemon_cmd[*]}"
  echo "wrk -t$wthreads -c$conns -d$duration --latency -s bench/report.lua http://127.0.0.1:PORT/v1/version"
  echo "wrk -t$wthreads -c$conns -d$duration --latency -s bench/report.lua http://127.0.0.1:PORT/health"
  echo "# storm, in the background around each storm run:"
  echo "wrk -t1 -c$storm_conns -d${storm_secs}s -s bench/storm.lua http://127.0.0.1:PORT"
  echo '```'
} >"$tmp/report.md"

cat "$tmp/report.md"
{
  cat "$tmp/report.md"
  echo
  echo "<details><summary>Raw wrk output</summary>"
  echo
  echo '```'
  cat "$raw_log"
  echo '```'
  echo "</details>"
} >"$report"
log "report written to ${report#"$repo"/}"

(( daemon_rc == 0 )) || die "daemon exited with code $daemon_rc after SIGTERM (expected 0)"
