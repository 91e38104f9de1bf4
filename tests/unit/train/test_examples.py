"""Training data: bad data is counted, negatives never include positives, batches are reproducible."""
import json

import pytest

from csplade_pyserini.errors import CspladeError
from csplade_pyserini.loading.tiny import build_tokenizer
from csplade_pyserini.train.examples import ContrastiveBatches, load_training_data
from csplade_pyserini.train.packing import SequenceStream


def test_inconsistent_data_is_reported_with_counts(tmp_path, files, train_config):
    with open(files["qrels"], "a") as handle:
        handle.write("q0 0 nowhere 1\n")  # a qrel naming an unknown document
        handle.write("q9 0 d1 1\n")  # a judged query without text
        handle.write("q8 0 ghost 1\n")  # a judged query whose only positive is unknown
        handle.write("q1 0 d2 0\n")  # a judged non-relevant document
    with open(files["queries"], "a") as handle:
        handle.write("q8\tghost query\nq7\tunjudged query\n")
    with open(files["run"], "a") as handle:
        handle.write("q1 Q0 missing 9 0.5 toy\nq1 Q0 lost 10 0.4 toy\nq99 Q0 d1 1 1.0 toy\n")
    data = load_training_data(train_config(tmp_path, files, tmp_path / "out", negatives=3, negatives_depth=4))
    counts = dict(data.report.counts)
    assert counts["positives naming unknown documents (dropped)"] == 2
    assert counts["judged queries with no query text (skipped)"] == 1
    assert counts["queries with no known positive (skipped)"] == 1
    assert counts["queries with no judgement (unused)"] == 1
    assert counts["qrels below min_relevance (not positives)"] == 1
    assert counts["run entries naming unknown documents (dropped)"] == 2
    assert counts["run queries not among the training queries (ignored)"] == 1
    assert counts["training queries"] == len(data.examples) == 7
    for example in data.examples:
        assert len(example.negatives) == 4 and not set(example.negatives) & set(example.positives)
    data.report.save(tmp_path)
    assert (tmp_path / "data_report.json").is_file()


def test_no_usable_query_is_an_error(tmp_path, files, train_config):
    files["qrels"].write_text("q0 0 nowhere 1\n")
    with pytest.raises(CspladeError, match="no usable training query"):
        load_training_data(train_config(tmp_path, files, tmp_path / "out"))


def test_batches_are_reproducible_and_exclude_positives(tmp_path, files, toy_docs, train_config):
    data = load_training_data(train_config(tmp_path, files, tmp_path / "out", negatives=3))
    batches = ContrastiveBatches(data, batch_size=3, negatives=3, seed=5)
    again = ContrastiveBatches(data, batch_size=3, negatives=3, seed=5)
    assert [batches.batch(g) for g in range(6)] == [again.batch(g) for g in reversed(range(6))][::-1]
    assert batches.batch(0) != ContrastiveBatches(data, 3, 3, seed=6).batch(0)
    text_to_id = {t: d for d, t in toy_docs.items()}
    seen = []
    for g in range(7):  # 21 positions = 3 epochs of 7 queries
        batch = batches.batch(g)
        queries, docs = batch.queries, batch.docs
        assert len(docs) == 3 * 4
        for i, query in enumerate(queries):
            group = [text_to_id[t] for t in docs[4 * i: 4 * i + 4]]
            example = next(e for e in data.examples if e.query == query)
            assert group[0] in example.positives and not set(group[1:]) & set(example.positives)
            assert len(set(group)) == 4
            seen.append(query)
    assert sorted(seen) == sorted([e.query for e in data.examples] * 3)  # every query once per epoch


def test_processes_take_disjoint_slices_of_a_global_batch(tmp_path, files, train_config):
    data = load_training_data(train_config(tmp_path, files, tmp_path / "out"))
    single = ContrastiveBatches(data, batch_size=4, negatives=2, seed=1)
    ranks = [ContrastiveBatches(data, batch_size=2, negatives=2, seed=1, rank=r, world=2) for r in (0, 1)]
    for g in range(3):
        batch = single.batch(g)
        queries, docs = batch.queries, batch.docs
        assert ranks[0].batch(g).queries + ranks[1].batch(g).queries == queries
        assert ranks[0].batch(g).docs + ranks[1].batch(g).docs == docs


def test_text_triples(tmp_path, train_config):
    path = tmp_path / "triples.tsv"
    path.write_text("what fox\tthe fox jumps\tthe dog sleeps\nwhat fox\tthe fox jumps\tcells die\n"
                    "vaccines\tantibody trial\tthe fox jumps\nempty\t\tx\n")
    config = train_config(tmp_path, {"queries": "", "corpus": "", "qrels": "", "run": ""}, tmp_path / "o",
                          queries=None, corpus=None, qrels=None, hard_negatives=None, triples=str(path))
    data = load_training_data(config)
    assert data.report.counts["triples with an empty text (skipped)"] == 1
    assert [(e.query, len(e.positives), len(e.negatives)) for e in data.examples] == [
        ("what fox", 1, 2), ("vaccines", 1, 1)]
    assert data.docs.get_many(data.examples[1].positives) == {data.examples[1].positives[0]: "antibody trial"}


def test_id_triples_with_local_queries_and_corpus(tmp_path, files, train_config):
    triples = tmp_path / "triples.ids.tsv"
    triples.write_text("q0\td0\td5\nq0\td0\td7\nq1\td1\tnowhere\nq9\td2\td3\n")
    config = train_config(tmp_path, files, tmp_path / "o", qrels=None, hard_negatives=None,
                          triples=str(triples))
    data = load_training_data(config)
    assert [(e.query, e.positives, e.negatives) for e in data.examples] == [
        ("quick fox jumps", ["d0"], ["d5", "d7"]), ("cell death in cancer", ["d1"], [])]
    assert data.report.counts["pair negatives naming unknown documents (dropped)"] == 1
    assert data.report.counts["judged queries with no query text (skipped)"] == 1


@pytest.mark.parametrize("name,layout", [("triples.tsv", "query<TAB>positive<TAB>negative"),
                                         ("triples.ids.tsv", "qid<TAB>positive id<TAB>negative id")])
def test_a_triples_line_without_three_fields_is_named(tmp_path, files, train_config, name, layout):
    path = tmp_path / name
    path.write_text("q0\td0\td5\n\nq1\td1\n")
    local = {} if name == "triples.ids.tsv" else {"queries": None, "corpus": None}  # text triples stand alone
    config = train_config(tmp_path, files, tmp_path / "o", qrels=None, hard_negatives=None, triples=str(path),
                          **local)
    with pytest.raises(CspladeError, match=f"{path}:3: expected '{layout}'"):
        load_training_data(config)


def test_beir_scifact_train_from_ir_datasets(tmp_path, irds_home, train_config):
    config = train_config(tmp_path, {"queries": "", "corpus": "", "qrels": "", "run": ""}, tmp_path / "o",
                          queries=None, corpus=None, qrels=None, hard_negatives=None,
                          data="beir/scifact/train")
    import ir_datasets  # after irds_home has pointed IR_DATASETS_HOME at the offline copy

    data = load_training_data(config)
    dataset = ir_datasets.load("beir/scifact/train")
    judged = {q.query_id for q in dataset.qrels_iter() if q.relevance >= 1}
    assert len(data.examples) == len(judged) == data.report.counts["training queries"]
    batch = ContrastiveBatches(data, 2, 2, seed=0).batch(0)
    queries, docs = batch.queries, batch.docs
    assert len(queries) == 2 and len(docs) == 6 and all(docs)


def test_sequence_stream_packs_and_resumes_exactly(tmp_path, files, toy_docs):
    tokenizer = build_tokenizer()
    stream = SequenceStream(str(files["corpus"]), tokenizer, seq_length=16)
    first = stream.next_batch(3)
    state = stream.state
    expected = [stream.next_batch(3) for _ in range(6)]  # crosses the end of the corpus (a second pass)
    assert stream.pass_number >= 1
    assert first[1].all() and first[0].shape == (3, 16)  # packed: no padding
    resumed = SequenceStream(str(files["corpus"]), tokenizer, seq_length=16)
    resumed.load_state(state)
    for ids, mask in expected:
        got_ids, got_mask = resumed.next_batch(3)
        assert (got_ids == ids).all() and (got_mask == mask).all()
    unpacked = SequenceStream(str(files["corpus"]), tokenizer, seq_length=200, pack=False)
    ids, mask = unpacked.next_batch(2)
    assert not mask.all()  # one document per row, right-padded
    assert tokenizer.decode(ids[0][mask[0]]).startswith(toy_docs["d0"][:10])


def test_processes_read_disjoint_documents_that_cover_the_corpus_every_pass(files):
    tokenizer = build_tokenizer()
    docs = [json.loads(line)["contents"] for line in files["corpus"].read_text().splitlines()]  # 8 documents
    rows = {}
    for rank in (0, 1, 2):  # 8 documents over 3 processes: uneven parts (3, 3, 2)
        stream = SequenceStream(str(files["corpus"]), tokenizer, seq_length=200, pack=False, rank=rank, world=3)
        ids, mask = stream.next_batch(6)  # two passes over the process's part
        rows[rank] = [tokenizer.decode(i[m], skip_special_tokens=True) for i, m in zip(ids, mask)]
    parts = {rank: rows[rank][: len(docs[rank::3])] for rank in rows}
    assert sorted(sum(parts.values(), [])) == sorted(docs)  # each document once per pass, no process overlaps
    assert all(rows[rank] == parts[rank] * 3 for rank in rows if len(parts[rank]) == 2)
    assert all(rows[rank] == parts[rank] * 2 for rank in rows if len(parts[rank]) == 3)
