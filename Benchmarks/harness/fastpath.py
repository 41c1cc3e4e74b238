"""Fast path cost: callgrind instructions per malloc/free pair. Each allocator runs c/fastpath.c
with N and with 2N pairs; (instructions(2N) - instructions(N)) / N cancels start-up and warm-up."""
import re
import subprocess

from .paths import BIN, BUILD

SIZES = [16, 64, 256, 1024]


def instructions(preload, size, pairs):
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    env = {"LD_PRELOAD": preload} if preload else {}
    r = subprocess.run(cmd + [str(BIN / "fastpath"), str(size), str(pairs)], env=env,
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
    """Returns {size: {allocator: instructions per pair}} (None where callgrind failed)."""
    n = 20000 if smoke else 200000
    table = {}
    for size in SIZES[:1] if smoke else SIZES:
        table[size] = {}
        for name, preload in allocs:
            if name == "swiftmm":
                preload = without_debug_info(preload)
            try:
                table[size][name] = (instructions(preload, size, 2 * n) - instructions(preload, size, n)) / n
            except RuntimeError as e:
                log(str(e))
                table[size][name] = None
            log(f"fastpath {size:>5} B {name:9} {table[size][name]}")
    return table
