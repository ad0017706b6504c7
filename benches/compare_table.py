#!/usr/bin/env python3
"""Ratio table of benches/compare.sh: ns/point of this library's `Auto` scores (criterion
medians of kernel_throughput, per baseline) against the JAX peer's best variant (the faster
of its fused function and its per-regime partitioned dispatch), median over the rounds."""
import json
import os
import platform
import statistics
import sys

out, rounds = sys.argv[1], int(sys.argv[2])
NAMES = ["S2", "S127", "SO3", "SU3"]
POINTS = 20000


def jax_best(path):
    rows = json.load(open(path))["rows"]
    best = {}
    for r in rows:
        if r["variant"] in ("fused(where)", "partitioned(sum of part:*)"):
            best[r["manifold"]] = min(best.get(r["manifold"], 1e99), r["ns_per_point"])
    return best


# criterion names the parameter directories by the tolerance's decimal Display.
TOL_DIRS = {"1e-12": "0.000000000001", "1e-6": "0.000001"}


def ours(name, tol, baseline):
    path = f"target/criterion/kernel_scores_{name}/{TOL_DIRS[tol]}/{baseline}/estimates.json"
    est = json.load(open(path))
    return est["median"]["point_estimate"] / POINTS


cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print(f"machine: {cpu}, {os.cpu_count()} cores; load now {open('/proc/loadavg').read().split()[:3]}")
print()
print("| manifold | threads | JAX best (ns/pt) | ours 1e-12 (ns/pt) | ratio ours/JAX | ours 1e-6 (ns/pt) | ratio ours/JAX |")
print("|---|---|---|---|---|---|---|")
for threads, tag in [(1, "1core"), (2, "2core")]:
    jax = {n: statistics.median(jax_best(f"{out}/jax_{tag}_{r}.json")[n] for r in range(1, rounds + 1)) for n in NAMES}
    for n in NAMES:
        a = statistics.median(ours(n, "1e-12", f"t{threads}_{r}") for r in range(1, rounds + 1))
        b = statistics.median(ours(n, "1e-6", f"t{threads}_{r}") for r in range(1, rounds + 1))
        print(f"| {n} | {threads} | {jax[n]:.0f} | {a:.0f} | {a / jax[n]:.2f} | {b:.0f} | {b / jax[n]:.2f} |")
