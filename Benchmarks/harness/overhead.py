"""Memory overhead: the RSS each allocator takes to hold 100 MB of useful data, per block size,
and what stays resident after everything is freed (see c/overhead.c)."""
import subprocess

from .paths import BIN

SIZES = ["8", "16", "24", "32", "48", "64", "100", "128", "256", "500", "1000", "4096", "10000",
         "32768", "mix"]


def measure_one(preload, size, smoke):
    env = {"LD_PRELOAD": preload} if preload else {}
    r = subprocess.run([str(BIN / "overhead"), size] + (["--smoke"] if smoke else []),
                       env=env, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        return {"error": (r.stdout + r.stderr).strip()[-500:] or f"exit {r.returncode}"}
    fields = dict(kv.split("=", 1) for kv in r.stdout.split())
    scale = 100e6 / int(fields["useful"]) / 1e6  # bytes -> MB per 100 MB of useful data
    return {"per100": int(fields["held"]) * scale,
            "freed_now": int(fields["freed_now"]) * scale,
            "freed_idle": int(fields["freed_idle"]) * scale}


def run(allocs, smoke, log):
    """Returns {size: {allocator: result}}; failures are recorded, not raised."""
    table = {}
    for size in SIZES if not smoke else ["8", "16", "100", "4096", "mix"]:
        table[size] = {}
        for name, preload in allocs:
            table[size][name] = measure_one(preload, size, smoke)
            log(f"overhead {size:>6} {name:9} {table[size][name]}")
    return table
