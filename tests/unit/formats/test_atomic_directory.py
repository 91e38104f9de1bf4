"""atomic_directory: a directory appears under its name only when complete; caches keep the first copy; an
output where nothing can be written is refused first."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from csplade_pyserini.errors import CspladeError
from csplade_pyserini.formats.files import atomic_directory


def test_a_finished_directory_replaces_the_old_one(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old").write_text("old")
    with atomic_directory(target) as staging:
        (staging / "new").write_text("new")
        assert not (target / "new").exists()  # not visible before the end
    assert sorted(p.name for p in target.iterdir()) == ["new"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging left


def test_a_failure_keeps_the_old_directory_and_removes_the_staging(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old").write_text("old")
    with pytest.raises(RuntimeError), atomic_directory(target) as staging:
        (staging / "new").write_text("half")
        raise RuntimeError("interrupted")
    assert sorted(p.name for p in target.iterdir()) == ["old"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_keep_existing_keeps_a_copy_another_process_finished_first(tmp_path):
    target = tmp_path / "cache"
    with atomic_directory(target, keep_existing=True) as staging:
        (staging / "weights").write_text("mine")
        target.mkdir()  # another process finishes its copy while this one is being written
        (target / "weights").write_text("theirs")
        reader = (target / "weights").open()  # ... and a reader has it open
    assert reader.read() == "theirs"
    reader.close()
    assert (target / "weights").read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["cache"]


def test_without_replace_a_copy_that_appeared_meanwhile_is_kept_and_this_one_refused(tmp_path):
    target = tmp_path / "index"
    with pytest.raises(CspladeError, match="appeared while"):
        with atomic_directory(target, replace=False) as staging:
            (staging / "mine").write_text("late")
            target.mkdir()
            (target / "theirs").write_text("first")
    assert [p.name for p in target.iterdir()] == ["theirs"]
    assert [p.name for p in tmp_path.iterdir()] == ["index"]  # no staging copy left


def test_a_marker_keeps_directories_we_did_not_write(tmp_path):
    target = tmp_path / "notes"
    target.mkdir()
    (target / "notes.txt").write_text("mine, not csplade's")
    with pytest.raises(CspladeError, match="not written by csplade"):
        with atomic_directory(target, marker="csplade_index.json"):
            pass
    assert (target / "notes.txt").read_text() == "mine, not csplade's"
    (target / "csplade_index.json").write_text("{}")
    with atomic_directory(target, marker="csplade_index.json") as staging:
        (staging / "csplade_index.json").write_text("{}")
    assert [p.name for p in target.iterdir()] == ["csplade_index.json"]


def test_a_second_writer_of_the_same_output_is_refused_at_once(tmp_path):
    from csplade_pyserini.formats.files import exclusive

    with exclusive(tmp_path / "export", "shard 0"):
        with pytest.raises(CspladeError, match="another csplade process is writing shard 0"):
            with exclusive(tmp_path / "sub" / ".." / "export", "shard 0"):  # the same path, spelled otherwise
                pass
        with exclusive(tmp_path / "export", "shard 1"):  # another shard of the same export is free
            pass
    with exclusive(tmp_path / "export", "shard 0"):  # released
        pass
    assert not (tmp_path / "export").exists()  # the lock lives outside the output


def test_an_output_where_nothing_can_be_written_is_refused_before_any_work(tmp_path, monkeypatch):
    from csplade_pyserini.formats.files import check_output_directory, check_output_file

    read_only = tmp_path / "ro"
    read_only.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != read_only and real(p, mode))  # as on a ro mount
    with pytest.raises(CspladeError, match=r"ro/out/q.jsonl: cannot write in .*ro \(a read-only file system"):
        check_output_file(read_only / "out" / "q.jsonl")
    with pytest.raises(CspladeError, match="cannot write in"):
        check_output_directory(read_only)
    assert check_output_file(tmp_path / "fine" / "q.jsonl") == tmp_path / "fine" / "q.jsonl"
