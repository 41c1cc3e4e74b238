#!/bin/sh
# Builds and runs the reget benchmark against the release libswiftmm.so.  Usage: Benchmarks/reget/run.sh [scale]
set -e
cd "$(dirname "$0")/../.."
swift build -c release --product swiftmm >/dev/null
gcc -O2 -o .build/reget-bench Benchmarks/reget/reget.c -ldl
LD_PRELOAD="$PWD/.build/release/libswiftmm.so" .build/reget-bench "$@"
