# Sourced first by the bench scripts (all.sh, run.sh, durability.sh, cluster.sh): strict mode,
# the C locale, where the bench folder and the checkout are ($here, $repo), and log and die,
# which prefix their message with $bench_name (set by the script before it sources this).
# shellcheck shell=bash disable=SC2034,SC2154
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

log() { printf '%s: %s\n' "$bench_name" "$*" >&2; }
die() { printf '%s: error: %s\n' "$bench_name" "$*" >&2; exit 1; }
