#!/usr/bin/env bash
# Kernel-score throughput, this library against the JAX peer, back to back and interleaved
# (issue 10, goal 1). Prints the ratio table (medians) with the machine and the load.
#
#   benches/compare.sh [ROUNDS]        (default 2 rounds; each round: JAX on 1 core, ours on
#                                       1 thread, JAX on 2 cores, ours on 2 threads)
#
# Needs: python3 with jax[cpu] (see ../shared/peers/README.md; RDIFF_PEERS overrides the
# path). Results: target/compare/*.json and criterion's baselines t1_R / t2_R.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS="${RDIFF_PEERS:-../shared/peers}"
ROUNDS="${1:-2}"
OUT=target/compare
mkdir -p "$OUT"
cargo bench --no-run --bench kernel_throughput >/dev/null 2>&1
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  taskset -c 0 python3 "$PEERS/jax_kernels.py" bench --branches --batches 20000 --reps 3 \
    --out "$OUT/jax_1core_$round.json" >/dev/null
  RAYON_NUM_THREADS=1 taskset -c 0 cargo bench --bench kernel_throughput -- \
    --save-baseline "t1_$round" >/dev/null 2>&1
  python3 "$PEERS/jax_kernels.py" bench --branches --batches 20000 --reps 3 \
    --out "$OUT/jax_2core_$round.json" >/dev/null
  RAYON_NUM_THREADS=2 cargo bench --bench kernel_throughput -- \
    --save-baseline "t2_$round" >/dev/null 2>&1
done
python3 benches/compare_table.py "$OUT" "$ROUNDS"
