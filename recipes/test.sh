#!/usr/bin/env bash
# Lint (ruff), look for dead code (vulture) and run the test suite (sets up .venv first if needed). Extra arguments go to pytest, e.g.
#   bash recipes/test.sh -m "not integration"     # the fast unit tier (about 30 s on 2 cores)
#   bash recipes/test.sh -m integration           # JVM, real model, recipes, benchmark
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash recipes/setup.sh
.venv/bin/ruff check csplade_pyserini tests recipes
.venv/bin/vulture csplade_pyserini recipes tests/vulture_whitelist.py --min-confidence 80  # no dead code
exec .venv/bin/python -m pytest "$@"
