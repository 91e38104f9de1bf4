#!/usr/bin/env bash
# The GPU half of the benchmark and of the quantization study, for a machine with one CUDA GPU and no network:
#
#   bash recipes/gpu-check.sh            # under 8 minutes on one GPU; writes docs/bench-gpu.{json,md}
#   bash recipes/gpu-check.sh --smoke    # seconds, on a tiny model (add --device cpu without a GPU)
#
# Needs only the working tree and a Python with this package's dependencies (PY, default: .venv/bin/python
# if present, else python): a random Llama of SmolLM2-135M's shape (config only, no weights, no data set).
# Measures the model core's bf16 throughput (causal, echo, bi), chunked vs naive pooling peak memory
# (torch.cuda.max_memory_allocated) and every --dtype quantization method (bitsandbytes, torchao) on CUDA.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -z "${PY:-}" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python; fi
fi
exec "$PY" -m csplade_pyserini.bench.gpu --output "${OUTPUT:-docs/bench-gpu.json}" "$@"
