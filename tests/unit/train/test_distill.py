"""Distillation: the losses equal hand-computed values, teacher scores follow their (query, document)
pairs into the batches, and a teacher file that does not fit the data is a one-line error."""
import json
import math

import pytest
import torch

from csplade_pyserini.errors import CspladeError
from csplade_pyserini.train.contrastive import setup_contrastive
from csplade_pyserini.train.distill import listwise_kl, margin_mse
from csplade_pyserini.train.examples import ContrastiveBatches, load_training_data

STUDENT = torch.tensor([[10.0, 8.0, 4.0]])
TEACHER = torch.tensor([[1.0, 0.5, 0.0]])


def test_margin_mse_by_hand():
    # student / 2 = [5, 4, 2]: margins 1, 3; teacher / 0.5 = [2, 1, 0]: margins 1, 2 -> ((0)^2 + (1)^2) / 2
    assert margin_mse(STUDENT, TEACHER, 2.0, 0.5).item() == pytest.approx(0.5)


def test_listwise_kl_by_hand():
    def softmax(xs):
        total = sum(math.exp(x) for x in xs)
        return [math.exp(x) / total for x in xs]

    p, q = softmax([2.0, 1.0, 0.0]), softmax([5.0, 4.0, 2.0])
    expected = sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))
    assert listwise_kl(STUDENT, TEACHER, 2.0, 0.5).item() == pytest.approx(expected, rel=1e-5)
    assert listwise_kl(TEACHER * 4, TEACHER, 2.0, 0.5).item() == pytest.approx(0.0, abs=1e-6)


def _teacher_file(path, files, score):
    queries = dict(line.split("\t") for line in files["queries"].read_text().splitlines())
    docs = [json.loads(line)["id"] for line in files["corpus"].read_text().splitlines()]
    path.write_text("".join(json.dumps({"qid": q, "scores": {d: score(q, d) for d in docs}}) + "\n"
                            for q in queries))
    return path


def _score(qid: str, doc_id: str) -> float:
    return int(qid[1:]) * 10 + int(doc_id[1:]) + (100.0 if qid[1:] == doc_id[1:] else 0.0)


def test_teacher_scores_line_up_with_their_query_and_document(tmp_path, files, toy_docs, train_config):
    teacher = _teacher_file(tmp_path / "teacher.jsonl", files, _score)
    config = train_config(tmp_path, files, tmp_path / "out", hard_negatives=None, teacher_scores=str(teacher),
                          distill="kl", negatives=3, negatives_depth=5)
    data = load_training_data(config)
    text_to_qid = dict(map(reversed, (line.split("\t") for line in files["queries"].read_text().splitlines())))
    text_to_doc = {t: d for d, t in toy_docs.items()}
    for g in range(4):
        batch = ContrastiveBatches(data, 2, 3, seed=1).batch(g)
        for i, query in enumerate(batch.queries):
            qid = text_to_qid[query]
            docs = [text_to_doc[t] for t in batch.docs[i * 4:(i + 1) * 4]]
            assert batch.teacher[i] == [_score(qid, d) for d in docs]
            assert docs[0] == f"d{qid[1:]}"  # the positive first, then negatives from the teacher's list
            assert f"d{qid[1:]}" not in docs[1:]


def test_distillation_trains(tmp_path, tiny_dir, files, train_config):
    teacher = _teacher_file(tmp_path / "teacher.jsonl", files, _score)
    run = setup_contrastive(train_config(tiny_dir, files, tmp_path / "out", hard_negatives=None, steps=2,
                                         teacher_scores=str(teacher), distill="margin-mse", nce_weight=0.0,
                                         teacher_temperature=10.0))
    run.train()
    logged = [json.loads(line) for line in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()]
    assert all("distill" in record and record["loss"] == pytest.approx(record["distill"], rel=1e-4)
               for record in logged if record["step"] > 0)


@pytest.mark.parametrize("content, message", [
    ('{"qid": "q9", "scores": {"d1": 1.0}}\n', "query 'q9' is not a training query"),
    ('{"qid": "q0", "scores": {"d99": 1.0}}\n', "document 'd99' (query 'q0') is not in the corpus"),
    ('{"qid": "q0", "scores": {"d0": "high"}}\n', "teacher.jsonl:1: score of document 'd0' is not a finite number"),
    ('{"qid": "q0", "scores": {"d1": 1.0}}\n', "no teacher score for the positive document 'd0' of query 'q0'"),
    ('{"qid": "q0", "scores": {"d0": 1.0}}\n', "no teacher scores for training query 'q1'"),
    ('{"qid": "q0"}\n', "teacher.jsonl:1: field 'scores' must be a non-empty object"),
])
def test_a_teacher_file_that_does_not_fit_is_a_one_line_error(tmp_path, files, train_config, content, message):
    teacher = tmp_path / "teacher.jsonl"
    teacher.write_text(content)
    config = train_config(tmp_path, files, tmp_path / "out", teacher_scores=str(teacher), distill="kl")
    with pytest.raises(CspladeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_training_data(config)
