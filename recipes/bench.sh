#!/usr/bin/env bash
# The performance benchmark: `csplade bench` on this machine (encoding throughput, peak memory,
# sparsity and index size, search latency, quantization), printed as a markdown table and written
# to runs/bench/bench.json + runs/bench/bench.md (collections, indexes and runs in runs/bench/bench-work/).
#
#   bash recipes/bench.sh                     # full run: about 21 min on 2 CPU cores with SmolLM2-135M
#   bash recipes/bench.sh --smoke             # every part on tiny sizes (about 2 min)
#   bash recipes/bench.sh --device cuda --model <dir|preset|hub id> --docs 2000   # a GPU and a larger model
#
# Extra arguments go to `csplade bench` (see `csplade bench --help`). SciFact is read with ir_datasets
# (offline from ../shared/ir_datasets when it sits next to the checkout: see recipes/common.sh).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
OUTPUT=${BENCH_OUTPUT:-runs/bench/bench.json}
irds_home "$(dirname "$OUTPUT")"
"$PY" -m csplade_pyserini bench --output "$OUTPUT" "$@"
