"""``csplade query-table``: the IDF query table of an inference-free encoder, computed over a corpus.

Writes ``query_table.safetensors``: BM25's IDF of every token of the encoder's vocabulary over the
corpus, tokenized as the encoder's documents are. Use it with ``--query-table`` (``csplade dev-eval``,
``encode-queries``, ``inspect``) to search the encoder's documents with inference-free queries, or as
``csplade train --query-encoder table --query-table``'s start.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import options
from ..options import option
from .common import EncoderOptions, require


@dataclass
class QueryTableSettings(EncoderOptions):
    corpus: str = option("", "corpus JSONL/TSV file or directory the IDF is counted over")
    output: str = option("", "directory to write query_table.safetensors into")

    def validate(self) -> None:
        super().validate()
        require(self, "corpus", "output")


def register(commands) -> None:
    parser = commands.add_parser("query-table", help="an inference-free query table: IDF over a corpus",
                                 description=__doc__)
    options.add_arguments(parser, QueryTableSettings)
    parser.set_defaults(run=lambda args: run(options.from_args(QueryTableSettings, args)))


def run(settings: QueryTableSettings) -> int:
    from ..core.query_table import QueryTable, idf_weights
    from ..formats.corpus import read_corpus
    from ..formats.files import check_output_directory, exclusive

    output = check_output_directory(settings.output)
    with exclusive(output):
        model = settings.load()
        texts = (document.text for document in read_corpus(settings.corpus))
        table = QueryTable(idf_weights(model.tokenizer, model.config, texts, len(model.vocabulary)))
        created = not output.exists()
        output.mkdir(parents=True, exist_ok=True)
        try:
            print(table.save(output))
        except BaseException:
            if created and not any(output.iterdir()):
                output.rmdir()  # leave nothing that looks like a table directory
            raise
    return 0
