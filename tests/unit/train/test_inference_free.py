"""Inference-free training (``--query-encoder table``): documents learn against table queries, the table
stays frozen or is learned, and every export searches without the language model."""
import pytest
import torch

from csplade_pyserini.core.query_table import TABLE_FILE, QueryTable
from csplade_pyserini.errors import CspladeError
from csplade_pyserini.loading.load import load_model
from csplade_pyserini.train.contrastive import setup_contrastive

QUERIES = ["cell death in cancer", "quick fox jumps"]


def _trained(tmp_path, tiny_dir, files, train_config, **overrides):
    run = setup_contrastive(train_config(tiny_dir, files, tmp_path / "out", query_encoder="table", steps=4,
                                         learning_rate=2e-2, **overrides))
    model = run.trainable.model
    before = (model.query_table.weight.detach().clone(), model.weights(["quick brown fox"], "doc"))
    model.train()
    run.train()
    return run, before


def test_a_frozen_table_moves_only_the_documents_and_every_export_keeps_it(tmp_path, tiny_dir, files,
                                                                           train_config):
    run, (table, doc) = _trained(tmp_path, tiny_dir, files, train_config, lambda_d=1e-3)
    model = run.trainable.model
    model.eval()
    assert torch.equal(model.query_table.weight, table)
    assert not torch.allclose(model.weights(["quick brown fox"], "doc"), doc)
    expected = model.encode_impacts(QUERIES, "query")
    final = run.export()
    for directory in (final, tmp_path / "out" / "adapter"):
        assert (directory / TABLE_FILE).is_file()
        reloaded = load_model(str(directory))
        assert reloaded.config.inference_free
        assert reloaded.encode_impacts(QUERIES, "query") == expected


def test_a_learned_table_is_trained_with_the_documents(tmp_path, tiny_dir, files, train_config):
    run, (table, _) = _trained(tmp_path, tiny_dir, files, train_config, learn_query_table=True)
    learned = run.trainable.model.query_table.weight
    assert learned.requires_grad and not torch.equal(learned, table)
    run.export()
    assert torch.equal(QueryTable.load(tmp_path / "out" / "adapter").weight, learned.detach())


def test_the_table_starts_from_a_given_file(tmp_path, tiny_dir, files, train_config):
    QueryTable(torch.full((300,), 2.0)).save(tmp_path)
    run = setup_contrastive(train_config(tiny_dir, files, tmp_path / "out", query_encoder="table",
                                         query_table=str(tmp_path)))
    assert bool((run.trainable.model.query_table.weight == 2.0).all())


def test_table_options_need_table_queries(tmp_path, tiny_dir, files, train_config):
    with pytest.raises(CspladeError, match="need --query-encoder table"):
        train_config(tiny_dir, files, tmp_path / "out", learn_query_table=True)


def test_pyserinis_query_encoder_loads_no_language_model(tmp_path, tiny_dir, files, train_config, monkeypatch):
    from csplade_pyserini.loading import load
    from csplade_pyserini.plugin import CspladeQueryEncoder

    run, _ = _trained(tmp_path, tiny_dir, files, train_config)
    run.export()
    adapter = str(tmp_path / "out" / "adapter")
    expected = load_model(adapter).encode_impacts(QUERIES[:1], "query")[0]

    def no_lm(*args, **kwargs):
        raise AssertionError("the language model was loaded")

    monkeypatch.setattr(load, "load_lm", no_lm)
    encoder = CspladeQueryEncoder(adapter)
    assert encoder.model is None
    assert encoder.encode(QUERIES[0]) == expected
