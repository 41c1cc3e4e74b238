#!/bin/sh
# Times `smm map PID` against `pmap -X PID` on a process with many mappings (default 20,000).
#
#   Benchmarks/analyzer/map-speed.sh [MAPPINGS] [RUNS]
#
# Builds smm in release mode (scratch path .build-analyzer, or $SCRATCH), compiles a small C program
# that maps MAPPINGS separate one-page regions with alternating protections (so the kernel cannot merge
# them) and touches the writable ones, then times both tools with hyperfine when installed, else with a
# loop of RUNS runs each. Prints the ratio smm / pmap; the goal is at most 1.5.
set -eu

MAPPINGS=${1:-20000}
RUNS=${2:-10}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/.build-analyzer}
WORK=$(mktemp -d)
CHILD_PID=

cleanup() {
    if [ -n "$CHILD_PID" ]; then kill "$CHILD_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

command -v pmap >/dev/null || { echo "map-speed: pmap not found (Debian package procps)" >&2; exit 1; }

echo "building smm (release)..." >&2
swift build -c release --scratch-path "$SCRATCH" --product smm --package-path "$ROOT" >&2
SMM="$SCRATCH/release/smm"

cat > "$WORK/many-maps.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long count = argc > 1 ? atol(argv[1]) : 20000;
    long page = sysconf(_SC_PAGESIZE);
    /* One reservation, then alternating protections page by page: neighbours never merge. */
    char *base = mmap(NULL, count * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) { perror("mmap"); return 1; }
    for (long i = 0; i < count; i++) {
        char *p = base + i * page;
        if (mmap(p, page, (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) { perror("mmap"); return 1; }
        if (!(i & 1)) p[0] = 1;
    }
    printf("ready\n");
    fflush(stdout);
    pause();
    return 0;
}
C
cc -O2 -o "$WORK/many-maps" "$WORK/many-maps.c"
# The default vm.max_map_count (65530) allows 20,000 maps.
"$WORK/many-maps" "$MAPPINGS" > "$WORK/ready" &
CHILD_PID=$!
while ! grep -q ready "$WORK/ready" 2>/dev/null; do sleep 0.05; done
echo "process $CHILD_PID has $(wc -l < /proc/$CHILD_PID/maps) mappings" >&2

if command -v hyperfine >/dev/null; then
    hyperfine --warmup 2 --runs "$RUNS" --export-json "$WORK/times.json" \
        "pmap -X $CHILD_PID > /dev/null" "$SMM map $CHILD_PID --color never > /dev/null" >&2
    python3 - "$WORK/times.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
pmap, smm = (r["mean"] for r in results)
print(f"pmap -X: {pmap * 1000:.1f} ms   smm map: {smm * 1000:.1f} ms   ratio smm/pmap: {smm / pmap:.2f}")
PY
else
    time_runs() {  # prints the mean wall time of RUNS runs of "$@", in milliseconds
        "$@" > /dev/null; "$@" > /dev/null   # warm-up
        start=$(date +%s%N)
        i=0
        while [ $i -lt "$RUNS" ]; do "$@" > /dev/null; i=$((i + 1)); done
        end=$(date +%s%N)
        echo $(( (end - start) / RUNS / 1000 ))
    }
    pmap_us=$(time_runs pmap -X "$CHILD_PID")
    smm_us=$(time_runs "$SMM" map "$CHILD_PID" --color never)
    python3 -c "import sys; p, s = int(sys.argv[1]), int(sys.argv[2]); print(f'pmap -X: {p/1000:.1f} ms   smm map: {s/1000:.1f} ms   ratio smm/pmap: {s/p:.2f}')" "$pmap_us" "$smm_us"
fi
