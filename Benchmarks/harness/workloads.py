"""The workloads: each runs one program under one allocator and returns a measure.Sample.
Every program verifies its own data and exits non-zero on a mismatch."""
import os
from dataclasses import dataclass
from typing import Callable

from . import measure, redis
from .paths import BENCH, BIN, BUILD

PYTHON = "/usr/bin/python3"  # the real interpreter, not a pyenv shim script


@dataclass
class Workload:
    name: str
    group: str  # "stress", "swift" or "real"
    about: str
    run: Callable  # (preload, smoke) -> measure.Sample
    command: str = ""  # how to reproduce a run by hand, from the repository root


def c_workload(name, about):
    return Workload(name, "stress", about,
                    lambda preload, smoke: measure.run([BIN / name] + (["--smoke"] if smoke else []),
                                                       preload),
                    f".build-bench/bin/{name}")


def swift_workload(name, about):
    exe = BUILD / "swift-workloads" / "release" / "swift-workloads"
    return Workload(f"swift-{name}", "swift", about,
                    lambda preload, smoke: measure.run([exe, name] + (["--smoke"] if smoke else []),
                                                       preload),
                    f".build-bench/swift-workloads/release/swift-workloads {name}")


def python_run(preload, smoke):
    env = dict(os.environ, PYTHONMALLOC="malloc")
    return measure.run([PYTHON, BENCH / "programs" / "python_alloc.py"] + (["--smoke"] if smoke else []),
                       preload, env=env)


def swiftc_run(preload, smoke):
    work = BUILD / "swiftc-work"
    work.mkdir(parents=True, exist_ok=True)
    src = work / "gen.swift"
    if not src.exists() or src.stat().st_mtime < (BENCH / "programs" / "gen_swift_source.py").stat().st_mtime:
        measure.run([PYTHON, BENCH / "programs" / "gen_swift_source.py", src, 40], "")
    mode = ["-typecheck"] if smoke else ["-c", "-Onone", "-o", work / "gen.o"]
    return measure.run(["swiftc", *mode, "-module-name", "Gen", src], preload, cwd=work)


WORKLOADS = [
    c_workload("churn", "single thread, live window of mixed small blocks, 1 in 16 a realloc"),
    c_workload("prodcons", "2 producers hand blocks to 2 consumers; every free is cross-thread"),
    c_workload("larson", "larson-style server: 4 threads replace random slots, arrays rotate"),
    c_workload("threadchurn", "1,500 short-lived threads; their objects outlive them"),
    c_workload("freeorder", "1M small blocks freed in reverse, then in random order"),
    c_workload("falseshare", "16 B blocks handed to 2 threads that write them (cache-scratch)"),
    c_workload("large", "realloc growth to tens of MiB; a window of 64 KiB–8 MiB blocks"),
    swift_workload("json", "Swift: JSONEncoder + JSONDecoder round trip of a 20,000-order document"),
    swift_workload("tree", "Swift: tree of class instances with strings, arrays, dictionaries"),
    Workload("python", "real", "PYTHONMALLOC=malloc python3: records, dicts, sort, JSON", python_run,
             "PYTHONMALLOC=malloc /usr/bin/python3 Benchmarks/programs/python_alloc.py"),
    Workload("redis", "real", "redis-server under redis-benchmark (127.0.0.1, bounded requests)",
             redis.run, "redis-server --port 6399 --save '' & redis-benchmark -p 6399 -n 60000 -P 8"),
    Workload("swiftc", "real", "swiftc -c -Onone of a generated 770-line file (40 types, generics, closures)", swiftc_run,
             "swiftc -c -Onone .build-bench/swiftc-work/gen.swift"),
]
