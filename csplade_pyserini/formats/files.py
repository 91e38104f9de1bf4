"""Opening text files (plain or ``.gz``) and writing files and directories atomically: the one home of both.

Every output that other steps (or a resumed run) trust appears under its final name only when it is
complete: :class:`atomic_text` writes a file under a unique hidden name beside it (:func:`partial_file`,
so two writers never share a temporary) and renames it on success;
:class:`atomic_directory` does the same for a directory (a unique hidden name beside it);
:func:`write_text` is the one-call form. A failure (or Ctrl-C) removes the temporary and leaves any
previous version alone. :func:`check_output_file` / :func:`check_output_directory` refuse, in one line,
an output that a regular file (or a directory of that name) stands in the way of.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import shutil
import tempfile
import zlib
from pathlib import Path
from typing import Any, Iterator, Sequence, TextIO

from ..errors import CspladeError


def open_text(path: str | Path, mode: str = "wt") -> TextIO:
    """A plain or ``.gz`` text file to write as UTF-8 (reading goes through :func:`read_lines`)."""
    path = Path(path)
    if path.name.endswith(".gz"):
        return gzip.open(path, mode if "t" in mode else mode + "t", encoding="utf-8")  # type: ignore[return-value]
    return open(path, mode.replace("t", ""), encoding="utf-8")


LINE_END = re.compile(r"(?<=\r)(?!\n)")  # after a CR that no LF follows: a line of its own


def read_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """(line number, line) of a plain or ``.gz`` UTF-8 text file; bad bytes or a truncated ``.gz`` are
    one-line errors naming the file, the line and (for bad UTF-8) the byte offset. Every reader of the
    package reads through here: a UTF-8 byte-order mark is dropped and CRLF or a lone CR (old Mac files)
    ends a line like LF, so a file saved by any editor reads alike (never an id ``\ufeffq1``)."""
    path = Path(path)
    number = 0
    offset = 0
    with open_binary(path) as handle:
        try:
            for raw in handle:
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    kind = "uncompressed " if path.name.endswith(".gz") else ""
                    raise CspladeError(f"{path}:{number + 1}: not UTF-8 (byte offset {offset + exc.start} of the "
                                       f"{kind}file)") from None
                offset += len(raw)
                if number == 0 and text.startswith("\ufeff"):
                    text = text[1:]
                for line in LINE_END.split(text):
                    if line:
                        number += 1
                        yield number, line[:-2] + "\n" if line.endswith("\r\n") else \
                            line[:-1] + "\n" if line.endswith("\r") else line
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise CspladeError(f"{path}:{number + 1}: the gzip stream is damaged or truncated "
                               f"({exc})") from None


def open_binary(path: Path):
    if not path.is_file():
        raise CspladeError(f"{path}: no such file")
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


def partial_file(path: str | Path) -> Path:
    """A new, empty, uniquely named hidden file beside ``path`` (readable like any output, keeping a ``.gz``
    suffix), for a writer to fill and then rename onto ``path``; the caller removes it on failure."""
    path = Path(path)
    check_output_file(path).parent.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if path.name.endswith(".gz") else ""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(handle)
    os.chmod(name, 0o644)
    return Path(name)


class atomic_text:
    """Write a text file under a unique temporary name; rename onto ``path`` only on success."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __enter__(self) -> TextIO:
        self.tmp = partial_file(self.path)
        self.handle = open_text(self.tmp, "wt")
        return self.handle

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.handle.close()  # a full disk may fail here first
            if exc_type is None:
                os.replace(self.tmp, self.path)
        finally:
            self.tmp.unlink(missing_ok=True)


class atomic_directory:
    """Build a directory under a unique hidden name beside ``path`` and rename it onto ``path`` on success.

    An existing ``path`` is replaced, unless ``keep_existing``: then a ``path`` that exists on exit (made by
    another process meanwhile; for caches whose copies are identical) is kept, and this copy is dropped, so
    that no reader of the existing copy sees it removed. With ``replace=False`` a ``path`` that exists on
    exit (another writer finished first) is a one-line error and this copy is dropped. With ``marker``, only
    an empty directory or one holding that file (one we wrote) is ever replaced.
    """

    def __init__(self, path: str | Path, keep_existing: bool = False, replace: bool = True,
                 marker: str | None = None) -> None:
        self.path = Path(path)
        self.keep_existing = keep_existing
        self.replace = replace
        self.marker = marker

    def _check_ours(self) -> None:
        if self.marker:
            check_replaceable(self.path, self.marker)

    def __enter__(self) -> Path:
        check_output_directory(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._check_ours()
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent))
        self.tmp.chmod(0o755)
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        if not self.replace:
            try:
                os.rename(self.tmp, self.path)  # refused when a (non-empty) copy appeared meanwhile
            except OSError:
                shutil.rmtree(self.tmp, ignore_errors=True)
                raise CspladeError(f"{self.path}: appeared while this one was being written (another "
                                   f"process?); not replaced") from None
            return
        if not self.keep_existing:
            if self.path.exists():
                self._check_ours()
                shutil.rmtree(self.path)
            os.replace(self.tmp, self.path)
            return
        try:
            os.rename(self.tmp, self.path)  # refused when another process's (non-empty) copy is there
        except OSError:
            if not self.path.is_dir():
                raise
            shutil.rmtree(self.tmp, ignore_errors=True)


@contextlib.contextmanager
def exclusive(target: str | Path, what: str = "") -> Iterator[None]:
    """Hold an OS lock (``flock``, released by the kernel if the process dies) on writing ``target`` (and
    ``what`` of it: a shard); a second writer gets a one-line error at once. The lock file lives in the
    temporary directory, so the output holds nothing but what was written."""
    import fcntl

    key = hashlib.sha256(f"{Path(target).resolve()}\n{what}".encode()).hexdigest()[:32]
    folder = Path(tempfile.gettempdir()) / "csplade-locks"
    folder.mkdir(exist_ok=True)
    with open(folder / key, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CspladeError(f"{target}: another csplade process is writing {what or 'it'} now; wait for it "
                               f"or write elsewhere") from None
        yield


def check_replaceable(path: str | Path, marker: str) -> None:
    """One line unless ``path`` is absent, empty, or holds ``marker`` (a directory csplade wrote)."""
    path = Path(path)
    if path.is_dir() and any(path.iterdir()) and not (path / marker).is_file():
        raise CspladeError(f"{path}: not empty and not written by csplade (no {marker}); refusing to replace it")


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_text(path) as handle:
        handle.write(text)
    return Path(path)


def write_json(path: str | Path, data: Any) -> Path:
    """Write ``data`` as indented JSON, atomically."""
    return write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def check_output_directory(path: str | Path) -> Path:
    """``path`` if a directory can be written there (a regular file in the way is a one-line error)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise CspladeError(f"{path}: is a file, expected a directory")
    _check_parents(path)
    return path


def check_output_file(path: str | Path) -> Path:
    """``path`` if a file can be written there (a directory of that name, or a file above it, is an error)."""
    path = Path(path)
    if path.is_dir():
        raise CspladeError(f"{path}: is a directory, expected a file name")
    _check_parents(path)
    return path


def check_not_input(output: str | Path, **inputs: str | Path | Sequence[str | Path] | None) -> None:
    """One line if ``output`` is one of the named inputs (``--output a.trec --runs a.trec b.trec``)."""
    target = Path(output).resolve()
    for name, value in inputs.items():
        for item in [value] if isinstance(value, (str, Path)) else value or []:
            if Path(item).resolve() == target:
                raise CspladeError(f"{output}: is also the input --{name.replace('_', '-')}; write the output "
                                   "elsewhere")


def _check_parents(path: Path) -> None:
    """Nothing in the way of ``path``, and its nearest existing folder writable (before any heavy work)."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            raise CspladeError(f"{path}: cannot write below {parent}, which is a file")
    folder = next(p for p in (path, *path.parents) if p.is_dir() or p == Path(p.anchor))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CspladeError(f"{path}: cannot write in {folder} (a read-only file system or no permission)")


def portable_reference(reference: str | Path, directory: str | Path) -> str:
    """``reference`` as written into ``directory``: an existing path relative to it, anything else (a preset
    name, a hub id) as is, so that nothing written names an absolute path of this machine."""
    path = Path(reference)
    if path.exists():
        return os.path.relpath(path.resolve(), Path(directory).resolve())
    return str(reference)
