"""Medians, ratios and geometric means over the raw samples.

The shared 2-core machine drifts by tens of percent between repetitions, so ratios are paired:
within each repetition every allocator ran the workload back to back, and the ratio is taken
there (allocator ÷ glibc, or SwiftMM ÷ the best other in that repetition); the median over the
repetitions is reported."""
import math
import random
import statistics


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


def _value(sample, metric):
    return sample[metric] if sample["status"] == 0 and sample[metric] > 0 else None


def _paired(samples, allocator, base, i, metric):
    """allocator ÷ base in repetition i of one workload, None where either run is missing or failed."""
    mine, theirs = samples.get(allocator, []), samples.get(base, [])
    if i >= len(mine) or i >= len(theirs):
        return None
    a, b = _value(mine[i], metric), _value(theirs[i], metric)
    return a / b if a and b else None


def _paired_series(entry, allocator, metric, base="glibc"):
    """allocator ÷ base in each repetition of one workload where both runs succeeded."""
    samples = entry["samples"]
    return [r for i in range(len(samples.get(base, []))) if (r := _paired(samples, allocator, base, i, metric)) is not None]


def paired_ratios(results, metric, base="glibc"):
    """{workload: {allocator: median over repetitions of allocator ÷ base in that repetition}}"""
    out = {}
    for w, entry in results["workloads"].items():
        out[w] = {}
        for a in entry["samples"]:
            rs = _paired_series(entry, a, metric, base)
            out[w][a] = statistics.median(rs) if rs else None
    return out


def versus_best_other(results, metric, me="swiftmm"):
    """{workload: median over repetitions of SwiftMM ÷ the best of the other allocators}"""
    out = {}
    for w, entry in results["workloads"].items():
        samples = entry["samples"]
        rs = []
        for i in range(len(samples[me])):
            mine = _value(samples[me][i], metric)
            others = [_value(s[i], metric) for a, s in samples.items() if a != me and i < len(s)]
            others = [v for v in others if v]
            if mine and others:
                rs.append(mine / min(others))
        out[w] = statistics.median(rs) if rs else None
    return out


def per_repetition_geomeans(results, metric, allocator, base="glibc"):
    """The geometric mean over the workloads of allocator ÷ base, taken separately in each repetition: how far
    one repetition's reading strays from another's on this machine."""
    out = []
    for i in range(results["reps"]):
        rs = [_paired(entry["samples"], allocator, base, i, metric) for entry in results["workloads"].values()]
        if all(r is not None for r in rs):
            out.append(geomean(rs))
    return out


def spread(results, metric, base="glibc"):
    """{workload: highest ÷ lowest run of base}: for time, the machine's drift over the repetitions of one
    workload; for peak RSS, how much the same program's peak varies."""
    out = {}
    for w, entry in results["workloads"].items():
        vals = [_value(s, metric) for s in entry["samples"].get(base, [])]
        vals = [v for v in vals if v]
        out[w] = max(vals) / min(vals) if len(vals) > 1 else None
    return out


def geomeans(ratio_table, workloads, allocs):
    return {a: geomean([ratio_table[w].get(a) for w in workloads]) for a in allocs}


def interval(results, metric, allocator, workloads, base="glibc", draws=2000, seed=1):
    """The 95 % bootstrap interval of the geometric mean over `workloads` (one workload: its median) of the
    median paired ratio allocator ÷ base: each workload's repetitions are drawn again with replacement, `draws`
    times. It says how far the machine's noise could have moved the reported figure. Seeded, so that the same
    results give the same report. None when a workload has no ratio."""
    series = [_paired_series(results["workloads"][w], allocator, metric, base) for w in workloads]
    if not series or any(not s for s in series):
        return None
    rng = random.Random(seed)
    values = sorted(geomean([statistics.median(rng.choices(s, k=len(s))) for s in series]) for _ in range(draws))
    return values[int(0.025 * draws)], values[int(0.975 * draws) - 1]
