"""Writes docs/benchmarks.md and the SVG charts from a results dictionary (see Benchmarks/run)."""
from . import stats, svg
from .paths import CHARTS, DOCS

UNITS = {"wall": ("s", 1.0), "cpu": ("s", 1.0), "rss": ("MB", 1 / 1024)}


def fmt(v, digits=2):
    return "—" if v is None else f"{v:.{digits}f}"


def ratio_table(results, metric, spread_label=None):
    """The table of one metric; with `spread_label`, a last column (so headed) gives glibc's highest ÷ lowest run."""
    allocs = results["allocators"]
    med = stats.medians(results, metric)
    rat = stats.paired_ratios(results, metric)
    vs_best = stats.versus_best_other(results, metric)
    show_spread = spread_label is not None
    drift = stats.spread(results, metric) if show_spread else {}
    unit, scale = UNITS[metric]
    others = [a for a in allocs if a != "glibc"]
    extra = f" {spread_label} |" if show_spread else ""
    lines = [f"| workload | glibc ({unit}) | " + " | ".join(others) + " | SwiftMM ÷ best other |" + extra,
             "|---" * (len(others) + 3 + (1 if show_spread else 0)) + "|"]
    for w in results["workloads"]:
        g = med[w].get("glibc")
        cells = [fmt(g * scale if g is not None else None)] + [fmt(rat[w].get(a)) for a in others]
        tail = f" {fmt(drift.get(w))} |" if show_spread else ""
        lines.append(f"| {w} | " + " | ".join(cells) + f" | {fmt(vs_best[w])} |" + tail)
    groups = {"all": list(results["workloads"])}
    for g in ("stress", "swift", "real"):
        groups[g] = [w for w, e in results["workloads"].items() if e["group"] == g]
    for g, ws in groups.items():
        if not ws:
            continue
        gm = stats.geomeans(rat, ws, allocs)
        lines.append(f"| **geomean, {g}** | 1.00 | " + " | ".join(fmt(gm.get(a)) for a in others)
                     + f" | {fmt(stats.geomean([vs_best[w] for w in ws]))} |" + (" |" if show_spread else ""))
    return "\n".join(lines), rat, med


def goals(results, rat_wall, rat_rss, med_wall):
    ws = list(results["workloads"])
    allocs = results["allocators"]
    gm_t = stats.geomeans(rat_wall, ws, allocs)
    gm_r = stats.geomeans(rat_rss, ws, allocs)
    out = []

    def line(goal, value, ok):  # ok None: the run did not measure what the goal needs
        state = "not measured" if ok is None else "met" if ok else "**not met**"
        out.append(f"| {goal} | {value if ok is not None else '—'} | {state} |")

    me = gm_t.get("swiftmm")
    mi = gm_t.get("mimalloc")
    line("geomean time ≤ mimalloc's", f"SwiftMM {fmt(me)} vs mimalloc {fmt(mi)} (× glibc)",
         None if me is None or mi is None else me <= mi)
    def within(metric, workloads=ws):  # the 95 % interval, and the spread over single repetitions
        parts = []
        ci = stats.interval(results, metric, "swiftmm", workloads)
        if ci and results["reps"] > 1:
            parts.append(f"95 % interval {fmt(ci[0], 3)}–{fmt(ci[1], 3)}")
        reps = stats.per_repetition_geomeans(results, metric, "swiftmm") if workloads == ws else []
        if len(reps) > 1:
            parts.append(f"single repetitions: {fmt(min(reps))}–{fmt(max(reps))}")
        return f" ({'; '.join(parts)})" if parts else ""

    # Three digits where a figure is compared with a bound: 0.80 may be 0.804, which misses 0.8.
    line("geomean time ≤ 0.8 × glibc", f"{fmt(me, 3)}{within('wall')}", None if me is None else me <= 0.8)
    slower = [f"{w} {fmt(rat_wall[w].get('swiftmm'), 3)}{within('wall', [w])}" for w in ws
              if rat_wall[w].get("swiftmm") is None or rat_wall[w]["swiftmm"] > 1.0]
    line("no workload slower than glibc", ", ".join(slower) or "none slower", not slower)
    r = gm_r.get("swiftmm")
    line("geomean peak RSS ≤ glibc's", f"{fmt(r, 3)} × glibc{within('rss')}", None if r is None else r <= 1.0)
    ov = results.get("overhead") or {}
    worst = [(s, v["swiftmm"].get("per100")) for s, v in ov.items()
             if s not in ("8", "mix") and "swiftmm" in v and v["swiftmm"].get("per100")]
    over = [f"{s} B: {p:.0f} MB" for s, p in worst if p > 110]
    line("≤ 110 MB per 100 MB useful, blocks ≥ 16 B", ", ".join(over) or "all within",
         None if not worst else not over)
    fp = results.get("fastpath") or {}
    fp_bad = [f"{s}: {v.get('swiftmm'):.1f} vs {v.get('mimalloc'):.1f}" for s, v in fp.items()
              if v.get("swiftmm") is not None and v.get("mimalloc") is not None
              and v["swiftmm"] > v["mimalloc"]]
    compared = [v for v in fp.values() if v.get("swiftmm") is not None and v.get("mimalloc") is not None]
    line("fast path ≤ mimalloc's instructions per pair", ", ".join(fp_bad) or "all at or below",
         None if not compared else not fp_bad)
    return "\n".join(["| goal | measured | |", "|---|---|---|"] + out)


def overhead_tables(results):
    ov = results.get("overhead")
    if not ov:
        return "Not measured in this run."
    allocs = results["allocators"]
    parts = []
    for key, title in [("per100", "RSS (MB) to hold 100 MB of useful data"),
                       ("freed_now", "RSS (MB) still held right after everything is freed"),
                       ("freed_idle", "RSS (MB) still held after a further idle second and one malloc/free")]:
        lines = [f"**{title}**", "", "| block size | " + " | ".join(allocs) + " |", "|---" * (len(allocs) + 1) + "|"]
        for size, row in ov.items():
            cells = [fmt(row[a].get(key), 0) if a in row and "error" not in row[a]
                     else f"error" for a in allocs]
            lines.append(f"| {size} | " + " | ".join(cells) + " |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def fastpath_table(results):
    fp = results.get("fastpath")
    if not fp:
        return "Not measured in this run."
    allocs = results["allocators"]
    lines = ["| size | " + " | ".join(allocs) + " |", "|---" * (len(allocs) + 1) + "|"]
    for size, row in fp.items():
        lines.append(f"| {size} | " + " | ".join(fmt(row.get(a), 1) for a in allocs) + " |")
    return "\n".join(lines)


def charts(results, rat_wall, rat_rss):
    CHARTS.mkdir(parents=True, exist_ok=True)
    allocs = results["allocators"]
    ws = list(results["workloads"])
    (CHARTS / "time.svg").write_text(svg.grouped_bars(
        "Wall time, ratio to glibc (lower is better)", [(w, rat_wall[w]) for w in ws], allocs,
        reference=1.0, cap=4))
    (CHARTS / "rss.svg").write_text(svg.grouped_bars(
        "Peak RSS, ratio to glibc (lower is better)", [(w, rat_rss[w]) for w in ws], allocs,
        reference=1.0, cap=4))
    ov = results.get("overhead")
    if ov:
        rows = [(f"{s} B" if s != "mix" else "mix", {a: v[a].get("per100") for a in allocs if a in v})
                for s, v in ov.items()]
        (CHARTS / "overhead.svg").write_text(svg.grouped_bars(
            "RSS (MB) to hold 100 MB of useful data", rows, allocs, reference=100, cap=400))
    fp = results.get("fastpath")
    if fp:
        (CHARTS / "fastpath.svg").write_text(svg.grouped_bars(
            "Instructions per malloc/free pair (callgrind)", list(fp.items()), allocs))


def write(results):
    m = results["machine"]
    wall_md, rat_wall, med_wall = ratio_table(results, "wall", spread_label="glibc slowest ÷ fastest")
    cpu_md, _, _ = ratio_table(results, "cpu")
    rss_md, rat_rss, _ = ratio_table(results, "rss", spread_label="glibc highest ÷ lowest")
    charts(results, rat_wall, rat_rss)
    about = "\n".join(f"| {w} | {e['group']} | {e['about']} |" for w, e in results["workloads"].items())
    failures = "\n".join(f"- {f}" for f in results.get("failures", [])) or "None."
    text = f"""# Benchmarks: SwiftMM against glibc, jemalloc, tcmalloc and mimalloc

Generated by `Benchmarks/run` on {results['date']}; do not edit by hand.

- Machine: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}, {m['glibc']}
- Swift: {m['swift']}
- Commit: {m['commit']}
- Runs: {results['reps']} per workload and allocator, interleaved (round-robin over the allocators in each
  repetition, the starting allocator rotating); absolute figures are medians, ratios are paired within
  each repetition and then the median is taken. Each run is a fresh process; wall time, CPU time (user+sys) and peak
  RSS come from `wait4` on that process alone (`.build-bench/bin/runner`).
- Allocators are preloaded (`LD_PRELOAD`) into the same binaries; glibc is the system malloc.

## Goals

{goals(results, rat_wall, rat_rss, med_wall)}

## Wall time

Median seconds under glibc, then each allocator's ratio to glibc; the last column is SwiftMM's time
divided by the best of the other four (below 1.00: SwiftMM is the fastest). Ratios are paired: taken
within each repetition, where the allocators ran the workload back to back, then the median over the
repetitions. The last column shows how far this machine's speed drifted over the run: glibc's slowest
run of the workload divided by its fastest. Where it is large, ratios near 1.00 are within the noise.
The goals give, for each figure compared with a bound, its 95 % interval: the range the figure takes when
each workload's repetitions are drawn again with replacement (bootstrap). A bound inside that range is one
this run cannot decide; the verdict still follows the figure itself.

![wall time](bench/time.svg)

{wall_md}

## CPU time (user + sys)

{cpu_md}

## Peak RSS

Median peak RSS under glibc, then each allocator's paired ratio to glibc, as for time. The last column is
glibc's highest peak of the workload divided by its lowest. A small program's peak varies from run to run
with how much of libc's code the kernel happens to map and with its per-CPU RSS counters: by a quarter
megabyte either way, which on `falseshare` (about 1.5 MB) moves its ratio, and the geometric mean, by a
few points.

![peak RSS](bench/rss.svg)

{rss_md}

## Memory overhead

Blocks of one size are allocated until 100 MB have been requested, every byte written; the figure is
RSS after minus RSS before (`Benchmarks/c/overhead.c`). 100 is perfect.

![overhead](bench/overhead.svg)

{overhead_tables(results)}

## Fast path

Callgrind instructions per malloc/free pair of one size after warm-up: (instructions of a run with
2N pairs − a run with N pairs) / N, N = 200,000 (`Benchmarks/c/fastpath.c`). The count includes the
loop (about 9 instructions) and the PLT jumps. "Page empties": no other block of the size is live,
so every free empties its page (the allocator's page-retire check runs each time); the plain rows
keep one block resident, the steady state of a real program.

![fast path](bench/fastpath.svg)

{fastpath_table(results)}

## Workloads

| workload | group | what it does |
|---|---|---|
{about}

## Failures

{failures}
"""
    (DOCS / "benchmarks.md").write_text(text)
