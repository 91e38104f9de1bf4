"""Dev evaluation ranks as Lucene's impact search would: dot products of the exported integer impacts."""
from csplade_pyserini.formats.trec import read_run
from csplade_pyserini.loading.load import load_model
from csplade_pyserini.train.dev import DevSet, evaluate


def test_dev_run_is_the_dot_product_of_integer_impacts(tiny_dir, files, tmp_path):
    model = load_model(str(tiny_dir), dtype="float32")
    dev = DevSet.read(files["queries"], files["qrels"], files["corpus"])
    metrics = evaluate(model, dev, tmp_path / "dev.trec", batch_size=2)  # 2 per batch: several chunks' worth

    docs = dict(zip(dev.doc_ids, model.encode_impacts(dev.doc_texts, "doc")))
    run = read_run(tmp_path / "dev.trec")
    for qid, text in dev.queries.items():
        query = model.encode_impacts([text], "query")[0]
        expected = {d: sum(w * vector.get(t, 0) for t, w in query.items()) for d, vector in docs.items()}
        assert dict(run[qid]) == {d: s for d, s in expected.items() if s > 0}
    assert 0.0 <= metrics["dev_ndcg10"] <= 1.0 and 0.0 <= metrics["dev_r100"] <= 1.0
    assert metrics["dev_d_terms"] == sum(len(v) for v in docs.values()) / len(docs)
