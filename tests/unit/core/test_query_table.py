"""Inference-free queries: a query's vector is its own pooled tokens weighted by the table, no LM runs."""
import math

import pytest
import torch

from csplade_pyserini.core.config import CspladeConfig
from csplade_pyserini.core.model import CspladeModel
from csplade_pyserini.core.query_table import QueryTable, TableQueryEncoder, idf_weights
from csplade_pyserini.errors import CspladeError
from csplade_pyserini.loading.tiny import build_lm, build_tokenizer

DOCS = ["proteins regulate cell death", "the dog sleeps", "cell death in the dog"]


@pytest.fixture(scope="module")
def tokenizer():
    return build_tokenizer()


def _table(tokenizer, seed=0) -> QueryTable:
    generator = torch.Generator().manual_seed(seed)
    return QueryTable(torch.rand(len(tokenizer), generator=generator) + 0.1)


def _model(tokenizer, table, **config) -> CspladeModel:
    return CspladeModel(build_lm("llama", len(tokenizer)), tokenizer,
                        CspladeConfig(query_encoder="table", query_variant="echo", **config), table)


def test_a_query_vector_holds_exactly_its_pooled_non_special_tokens_weighted_by_the_table(tokenizer):
    table = _table(tokenizer)
    model = _model(tokenizer, table)
    text = "cell death cell"
    weights = model.weights([text], "query")[0]
    inputs = model.tokenize([text], "query")
    assert inputs.input_ids.shape[1] < 2 * len(tokenizer("query: " + text)["input_ids"])  # read once, not echoed
    pooled = {int(t) for t in inputs.input_ids[0][inputs.pool_mask[0]]} - set(tokenizer.all_special_ids)
    assert {int(i) for i in weights.nonzero().flatten()} == pooled
    for token_id in pooled:  # each token once, however often the query repeats it
        assert weights[token_id].item() == pytest.approx(table.weight[token_id].item())


def test_the_lm_is_never_called_for_table_queries(tokenizer):
    model = _model(tokenizer, _table(tokenizer))
    calls = []
    model.backbone.register_forward_pre_hook(lambda *args: calls.append(1))
    model.encode_impacts(["cell death"], "query")
    assert not calls
    model.encode_impacts(["cell death"], "doc")
    assert calls


def test_the_tokenizer_only_encoder_gives_the_models_query_impacts(tokenizer):
    table = _table(tokenizer)
    model = _model(tokenizer, table, query_top_k=3)
    encoder = TableQueryEncoder(tokenizer, model.config, table)
    queries = ["proteins regulate cell death", "the dog", "immune response"]
    assert encoder.encode_impacts(queries) == model.encode_impacts(queries, "query")
    assert all(len(vector) <= 3 for vector in encoder.encode_impacts(queries))


def test_idf_is_bm25s_over_the_documents_pooled_tokens(tokenizer):
    config = CspladeConfig()
    idf = idf_weights(tokenizer, config, iter(DOCS), len(tokenizer), batch_size=2)
    token = tokenizer(" death", add_special_tokens=False)["input_ids"][-1]  # in 2 of the 3 documents
    assert idf[token].item() == pytest.approx(math.log1p((3 - 2 + 0.5) / (2 + 0.5)), rel=1e-6)
    seen = {t for doc in DOCS for t in tokenizer("passage: " + doc)["input_ids"]}
    unseen = min(set(range(len(tokenizer))) - seen)
    assert idf[unseen].item() == pytest.approx(math.log1p(3.5 / 0.5), rel=1e-6)
    assert idf[token] < idf[unseen]


def test_tables_round_trip_and_bad_tables_are_one_line_errors(tmp_path, tokenizer):
    table = _table(tokenizer)
    table.save(tmp_path)
    assert torch.equal(QueryTable.load(tmp_path).weight, table.weight)
    with pytest.raises(CspladeError, match="no query table"):
        QueryTable.load(tmp_path / "missing")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "query_table.safetensors").write_bytes(b"not a table")
    with pytest.raises(CspladeError, match="not a query table"):
        QueryTable.load(tmp_path / "bad")
    with pytest.raises(CspladeError, match="non-negative"):
        QueryTable(torch.tensor([1.0, -1.0]))
    with pytest.raises(CspladeError, match="needs a query table"):
        CspladeModel(build_lm("llama", len(tokenizer)), tokenizer, CspladeConfig(query_encoder="table"))
    with pytest.raises(CspladeError, match="entries"):
        _model(tokenizer, QueryTable(torch.ones(7)))
    with pytest.raises(CspladeError, match="query_encoder"):
        CspladeConfig(query_encoder="bm25")
