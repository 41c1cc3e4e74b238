"""Medians, ratios and geometric means over the raw samples."""
import math
import statistics

METRICS = {"wall": "wall time", "cpu": "CPU time (user+sys)", "rss": "peak RSS"}


def median(samples, metric):
    vals = [s[metric] for s in samples if s["status"] == 0]
    return statistics.median(vals) if vals else None


def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def medians(results, metric):
    """{workload: {allocator: median}}"""
    return {w: {a: median(samples, metric) for a, samples in entry["samples"].items()}
            for w, entry in results["workloads"].items()}


def ratios_to(table, base="glibc"):
    out = {}
    for w, row in table.items():
        b = row.get(base)
        out[w] = {a: (v / b if v is not None and b else None) for a, v in row.items()}
    return out


def best_other(row, me="swiftmm"):
    others = [v for a, v in row.items() if a != me and v is not None]
    return min(others) if others else None


def geomeans(ratio_table, workloads, allocs):
    return {a: geomean([ratio_table[w].get(a) for w in workloads]) for a in allocs}
