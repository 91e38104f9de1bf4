"""Token ids -> Lucene-safe terms: whitespace-free, unique, stable; specials never carry weight."""
import pytest

from csplade_pyserini.core.terms import (
    TermVocabulary,
    impact_vector,
    lucene_term,
    quantize,
    special_token_ids,
)
from csplade_pyserini.formats.vectors import MAX_TERM_CHARS
from csplade_pyserini.loading.tiny import build_tokenizer

JAVA_WHITESPACE = set(" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                      "\u2008\u2009\u200a\u2028\u2029\u205f\u3000")


def assert_safe(term: str) -> None:
    assert term, "empty term"
    assert len(term) <= MAX_TERM_CHARS
    assert not any(c.isspace() or c in JAVA_WHITESPACE for c in term), repr(term)


@pytest.mark.parametrize("piece, expected", [
    ("Ġprotein", "Ġprotein"), ("▁fox", "▁fox"), ("<0x0A>", "<0x0A>"), ("##ing", "##ing"),
    ("two words", "two%20words"), ("\n", "%0A"), ("50%", "50%25"), ("\u3000", "%E3%80%80"), ("a\tb", "a%09b"),
])
def test_lucene_term_escapes_only_unsafe_characters(piece, expected):
    assert lucene_term(piece, 7) == expected


def test_missing_empty_or_overlong_pieces_get_an_id_term():
    assert lucene_term("", 5) == "%id5"
    assert lucene_term(None, 6) == "%id6"
    assert lucene_term("x" * 300, 8) == "%id8"


@pytest.mark.parametrize("kind", ["bytelevel", "sentencepiece"])
def test_tiny_vocabularies_map_to_unique_safe_terms(kind):
    tokenizer = build_tokenizer(kind)
    vocabulary = TermVocabulary(tokenizer, len(tokenizer) + 3)  # model vocab padded beyond the tokenizer
    assert len(set(vocabulary.terms)) == len(vocabulary.terms) == len(tokenizer) + 3
    for term in vocabulary.terms:
        assert_safe(term)
    for special in tokenizer.all_special_ids:
        assert not vocabulary.allowed[special]
    assert not vocabulary.allowed[len(tokenizer):].any()
    assert vocabulary.allowed.sum() == len(tokenizer) - len(special_token_ids(tokenizer))
    assert vocabulary.allowed.sum() > len(tokenizer) // 3


def test_term_mapping_is_stable_and_reversible():
    tokenizer = build_tokenizer()
    first, second = TermVocabulary(tokenizer, len(tokenizer)), TermVocabulary(tokenizer, len(tokenizer))
    assert first.terms == second.terms
    for token_id in (3, 100, 299):
        assert first.token_id(first.term(token_id)) == token_id


def test_whitespace_tokens_added_to_a_vocabulary_stay_unique():
    tokenizer = build_tokenizer()
    tokenizer.add_tokens(["two words", "two%20words", "   ", "\t"])
    vocabulary = TermVocabulary(tokenizer, len(tokenizer))
    added = vocabulary.terms[-4:]
    assert len(set(added)) == 4
    for term in added:
        assert_safe(term)


def test_quantisation_gives_python_ints_and_drops_zeros():
    tokenizer = build_tokenizer()
    vocabulary = TermVocabulary(tokenizer, len(tokenizer))
    vector = impact_vector([10, 11, 12], [1.234, 0.004, 0.0051], vocabulary, 100.0)
    assert vector == {vocabulary.term(10): 123, vocabulary.term(12): 1}
    assert all(type(w) is int for w in vector.values())
    assert quantize(2.5, 100) == 250
