"""The start-up hook: import-light, switchable, and which --encoder names it routes to csplade."""
import json
import os
import subprocess
import sys

import pytest

from csplade_pyserini.plugin.patches import encoder_argument
from csplade_pyserini.plugin.resolve import claims

STARTUP = ("import sys; print(sorted(m for m in sys.modules if m.split('.')[0] in "
           "('torch', 'csplade_pyserini', 'pyserini', 'jnius', 'transformers'))); "
           "print('_csplade_pyserini_hook' in sys.modules); "
           "print(any(type(f).__module__ == '_csplade_pyserini_hook' for f in sys.meta_path))")


@pytest.mark.parametrize("setting, active", [(None, True), ("0", False)])
def test_the_hook_loads_at_startup_without_importing_anything_heavy(setting, active):
    env = {k: v for k, v in os.environ.items() if k != "CSPLADE_PYSERINI_HOOK"}
    if setting is not None:
        env["CSPLADE_PYSERINI_HOOK"] = setting
    result = subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    heavy, loaded, finder = result.stdout.split("\n")[:3]
    assert heavy == "[]" and loaded == "True"
    assert finder == str(active)


@pytest.fixture()
def presets(tmp_path, tiny_dir, monkeypatch):
    directory = tmp_path / "presets"
    directory.mkdir()
    (directory / "mini.json").write_text(json.dumps({"model": str(tiny_dir)}))
    monkeypatch.setenv("CSPLADE_ENCODERS", str(directory))
    return directory


def test_which_encoder_names_are_ours(tmp_path, tiny_dir, presets):
    queries = tmp_path / "csplade-queries.jsonl"
    queries.write_text("{}\n")
    splade_dir = tmp_path / "csplade-experiments" / "splade-v3"
    splade_dir.mkdir(parents=True)
    assert claims(str(tiny_dir))  # a directory with csplade_config.json, wherever it is
    assert claims("mini")  # a preset name
    assert claims("org/CSPLADE-qwen3-0.6b")  # a hub id that says what it is
    assert not claims("naver/splade-v3") and not claims("castorini/unicoil-msmarco-passage")
    assert not claims(str(queries))  # pre-encoded queries stay Pyserini's (CachedDataQueryEncoder)
    assert not claims(str(splade_dir))  # an existing directory is judged by its content, not its path
    assert claims(str(tmp_path / "csplade-typo"))  # ...a missing one by its name: our error, not SPLADE's
    assert not claims(None) and not claims("")


def test_encoder_argument_of_pyserini_encode():
    argv = ["input", "--corpus", "c", "--fields", "text", "output", "--embeddings", "e",
            "encoder", "--encoder-class", "auto", "--encoder", "/m/x", "--fields", "text"]
    assert encoder_argument(argv) == "/m/x"
    assert encoder_argument(["input", "--corpus", "c", "encoder", "--encoder=/m/y"]) == "/m/y"
    assert encoder_argument(["input", "--encoder", "c"]) is None


def test_pyserini_encode_picks_csplade_before_splade(tiny_dir, presets):
    import pyserini.encode as encode
    from pyserini.encode import SpladeDocumentEncoder
    from pyserini.encode.__main__ import init_encoder

    from csplade_pyserini.plugin.encoders import CspladeDocumentEncoder

    keys = list(encode.document_encoder_class_map)
    assert keys[0] == "csplade" and encode.document_encoder_class_map["splade"] is SpladeDocumentEncoder
    (presets / "csplade.json").write_text(json.dumps({"model": str(tiny_dir)}))  # the default preset's name
    encoder = init_encoder("csplade", encoder_class=None, device="cpu", pooling="cls", l2_norm=False,
                           prefix=None, multimodal=False, explicit_truncate=False)
    assert isinstance(encoder, CspladeDocumentEncoder)
    assert encoder.encode(texts=["the lazy dog"], fp16=False, max_length=256, add_sep=False) == \
        encoder.model.encode_impacts(["the lazy dog"], "doc")


def test_impact_searcher_resolution_passes_pyserini_names_through(tmp_path):
    from pyserini.encode import CachedDataQueryEncoder, TokFreqQueryEncoder
    from pyserini.search.lucene import LuceneImpactSearcher

    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"id": "q1", "contents": "fox", "vector": {"fox": 1}}) + "\n")
    resolve = LuceneImpactSearcher._init_query_encoder_from_str
    assert isinstance(resolve(None), TokFreqQueryEncoder)
    assert isinstance(resolve(str(queries)), CachedDataQueryEncoder)
    with pytest.raises(OSError):  # Pyserini's own SPLADE, which cannot reach the hub offline
        resolve("naver/splade-v3")


def test_pyserinis_max_length_is_checked_never_applied():
    from csplade_pyserini.errors import CspladeError
    from csplade_pyserini.plugin.encoders import check_max_length

    check_max_length(None, 128, "doc")
    check_max_length(128, 128, "doc")
    check_max_length(256, 128, "doc", argv=["pyserini.encode", "input", "--corpus", "c"])  # Pyserini's default
    with pytest.raises(CspladeError, match="max_length 256 differs from the encoder's doc_max_length 128"):
        check_max_length(256, 128, "doc", argv=["pyserini.encode", "encoder", "--max-length", "256"])
    with pytest.raises(CspladeError, match="--doc-max-length 512"):
        check_max_length(512, 128, "doc", argv=["pyserini.encode"])
    with pytest.raises(CspladeError, match="query_max_length 32"):
        check_max_length(256, 32, "query", argv=["x"])
