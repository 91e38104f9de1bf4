#!/usr/bin/env bash
# The performance benchmark: `csplade bench` on this machine (encoding throughput, peak memory,
# sparsity and index size, search latency, quantization), printed as a markdown table and written
# to runs/bench/bench.json + runs/bench/bench.md (collections, indexes and runs in runs/bench/bench-work/).
#
#   bash recipes/bench.sh                     # full run: about 20 min on 2 CPU cores with SmolLM2-135M
#   bash recipes/bench.sh --smoke             # every part on tiny sizes (about 2 min)
#   bash recipes/bench.sh --device cuda --model <dir|preset|hub id> --docs 2000   # a GPU and a larger model
#
# Extra arguments go to `csplade bench` (see `csplade bench --help`). SciFact is read offline from
# ../shared/ir_datasets (override with CSPLADE_SHARED, or set IR_DATASETS_HOME yourself).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash recipes/setup.sh

if [ -z "${IR_DATASETS_HOME:-}" ]; then
    shared="${CSPLADE_SHARED:-../shared}"
    [ -d "$shared/ir_datasets/beir" ] || {
        echo "bench: $shared/ir_datasets/beir is missing (see ../shared/README.md); or set IR_DATASETS_HOME" >&2
        exit 2
    }
    # ir_datasets creates folders in its home: a private home whose beir/ links to the read-only copy
    IR_DATASETS_HOME="$(mktemp -d)"
    export IR_DATASETS_HOME
    trap 'rm -rf "$IR_DATASETS_HOME"' EXIT
    ln -s "$(cd "$shared/ir_datasets/beir" && pwd)" "$IR_DATASETS_HOME/beir"
fi
export TOKENIZERS_PARALLELISM=false
.venv/bin/csplade bench --output "${BENCH_OUTPUT:-runs/bench/bench.json}" "$@"
