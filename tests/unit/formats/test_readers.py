"""Every reader goes through one layer: a UTF-8 byte-order mark and CRLF or CR endings read like plain files."""
import pytest

from csplade_pyserini.errors import CspladeError
from csplade_pyserini.formats.corpus import read_corpus
from csplade_pyserini.formats.teacher import read_teacher
from csplade_pyserini.formats.trec import read_qrels, read_run, read_topics

BOM = "\ufeff"


def _write(path, text):
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))  # saved by a Windows editor
    return path


def test_a_bom_and_crlf_never_become_part_of_an_id_or_a_text(tmp_path):
    topics = read_topics(_write(tmp_path / "topics.tsv", f"{BOM}q1\tcell death\nq2\tdog\n"))
    assert topics == {"q1": "cell death", "q2": "dog"}
    assert read_qrels(_write(tmp_path / "qrels.txt", f"{BOM}q1 0 d1 1\nq2 0 d2 2\n")) == {"q1": {"d1": 1},
                                                                                       "q2": {"d2": 2}}
    documents = list(read_corpus(_write(tmp_path / "corpus.tsv", f"{BOM}d1\tproteins\nd2\tdogs\n")))
    assert [(d.doc_id, d.text) for d in documents] == [("d1", "proteins"), ("d2", "dogs")]
    jsonl = list(read_corpus(_write(tmp_path / "corpus.jsonl", BOM + '{"id": "d1", "contents": "x"}\n')))
    assert [d.doc_id for d in jsonl] == ["d1"]
    assert set(read_run(_write(tmp_path / "run.trec", f"{BOM}q1 Q0 d1 1 2.0 r\n"))) == {"q1"}
    scores, _ = read_teacher(_write(tmp_path / "teacher.jsonl", BOM + '{"qid": "q1", "scores": {"d1": 1.0}}\n'))
    assert scores == {"q1": {"d1": 1.0}}


def test_an_empty_query_is_refused_with_its_line(tmp_path):
    with pytest.raises(CspladeError, match=r"topics.tsv:2: query 'q2' has no text"):
        read_topics(_write(tmp_path / "topics.tsv", "q1\tcell death\nq2\t  \n"))


def test_a_query_the_teacher_found_nothing_for_is_left_out_not_written_empty(tmp_path):
    from csplade_pyserini.formats.teacher import write_teacher

    assert write_teacher({"q1": {"d1": 2.0}, "q2": {}}, tmp_path / "teacher.jsonl") == 1
    scores, _ = read_teacher(tmp_path / "teacher.jsonl")  # readable as a whole: q2 has no line
    assert scores == {"q1": {"d1": 2.0}}


def test_an_id_lucene_cannot_store_is_refused_where_it_enters(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": "%s", "contents": "x"}\n' % ("d" * 40_000))
    with pytest.raises(CspladeError, match="corpus.jsonl:1: document id of 40000 bytes"):
        list(read_corpus(corpus))


def test_lone_cr_line_endings_end_lines_and_numbers_follow_them(tmp_path):
    path = tmp_path / "topics.tsv"
    path.write_bytes(b"q1\tcell death\rq2\tdog\rq3\t\r")  # an old Mac editor
    assert read_topics_until_error(path) == "topics.tsv:3: query 'q3' has no text"
    path.write_bytes(b"q1\tcell death\rq2\tdog\r\nq3\tfox")
    assert read_topics(path) == {"q1": "cell death", "q2": "dog", "q3": "fox"}


def read_topics_until_error(path) -> str:
    with pytest.raises(CspladeError) as caught:
        read_topics(path)
    return str(caught.value).split("/")[-1]
