"""Run Pyserini's command-line modules (``python -m pyserini...``) in a subprocess with Java >= 21.

The child gets ``JAVA_HOME``/``PATH`` from :func:`~csplade_pyserini.runtime.java.java_environment`,
so it works whether or not the start-up hook is enabled. Its output is passed through (unless
``quiet``) and returned for parsing. An interrupt (Ctrl-C, SIGTERM) stops the child before it propagates.
"""
from __future__ import annotations

import signal
import subprocess
import sys
from typing import Sequence

from ..errors import CspladeError
from .java import java_environment


def run_pyserini(module: str, args: Sequence[str], quiet: bool = False) -> list[str]:
    """Run ``python -m <module> <args>``; returns its output lines, raises CspladeError if it fails."""
    command = [sys.executable, "-m", module, *map(str, args)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=java_environment(), errors="replace", preexec_fn=_die_with_parent)
    lines: list[str] = []
    assert process.stdout is not None
    try:
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if not quiet:
                sys.stderr.write(line)
        process.wait()
    except BaseException:  # Ctrl-C, SIGTERM (the csplade command raises SystemExit): no orphaned child
        stop(process)
        raise
    if process.returncode != 0:
        raise CspladeError(f"{module} failed (exit code {process.returncode}): {last_message(lines)}")
    return lines


def _die_with_parent() -> None:
    """In the child, before it runs: Linux sends it SIGTERM when csplade dies, even by SIGKILL (which no
    handler sees), so no Anserini is left writing an index nobody will move into place."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def stop(process: subprocess.Popen, grace: float = 10.0) -> None:
    """Terminate ``process``, kill it if it is still running after ``grace`` seconds, and reap it."""
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def last_message(lines: Sequence[str]) -> str:
    """The last line that says something (for a one-line error), skipping Java stack frames."""
    for line in reversed(lines):
        text = line.strip()
        if text and not text.startswith("at ") and not text.startswith("WARNING"):
            return text
    return "no output"
