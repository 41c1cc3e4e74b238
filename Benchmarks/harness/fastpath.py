"""Fast path cost: callgrind instructions per malloc/free pair. Each allocator runs c/fastpath.c
with N and with 2N pairs; (instructions(2N) - instructions(N)) / N cancels start-up and warm-up."""
import re
import subprocess

from .paths import BIN, BUILD

SIZES = [16, 64, 256, 1024]


def instructions(preload, size, pairs, resident):
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    env = {"LD_PRELOAD": preload} if preload else {}
    r = subprocess.run(cmd + [str(BIN / "fastpath"), str(size), str(pairs)] + (["resident"] if resident else []), env=env,
                       capture_output=True, text=True, timeout=600)
    m = re.search(r"Collected\s*:\s*(\d+)", r.stderr)
    if r.returncode != 0 or not m:
        raise RuntimeError(f"callgrind failed ({preload or 'glibc'}, {size}): {r.stderr[-800:]}")
    return int(m.group(1))


def without_debug_info(lib):
    """Valgrind 3.19 cannot read the DWARF 5 forms clang emits in libswiftmm.so and gives up, so
    callgrind gets a copy stripped of debug info (symbols stay)."""
    out = BUILD / "callgrind" / ("stripped-" + lib.rsplit("/", 1)[-1])
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["objcopy", "--strip-debug", lib, str(out)], check=True)
    return str(out)


def run(allocs, smoke, log):
    """Returns {row label: {allocator: instructions per pair}} (None where callgrind failed); rows
    are each size with a resident block (steady state) and without (every free empties the page)."""
    n = 20000 if smoke else 200000
    table = {}
    allocs = [(name, without_debug_info(p) if name == "swiftmm" else p) for name, p in allocs]
    for resident in (True, False):
        for size in SIZES[:1] if smoke else SIZES:
            label = f"{size} B" + ("" if resident else ", page empties")
            table[label] = {}
            for name, preload in allocs:
                try:
                    table[label][name] = (instructions(preload, size, 2 * n, resident)
                                          - instructions(preload, size, n, resident)) / n
                except RuntimeError as e:
                    log(str(e))
                    table[label][name] = None
                log(f"fastpath {label:18} {name:9} {table[label][name]}")
    return table
