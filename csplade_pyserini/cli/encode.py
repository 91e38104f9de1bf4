"""``csplade encode``: corpus JSONL/TSV -> JsonVectorCollection shard.

Before the model is loaded, the whole corpus is read once (FILE:LINE errors for bad lines and ids) and
an existing ``--output`` must have been made with the same encoder, config, dtype and corpus (else one
line says what differs; ``--force`` discards it). Started by a launcher on N processes (``accelerate launch
--multi_gpu --num_processes N -m csplade_pyserini encode ...`` or ``torchrun``), process r encodes shard r
of N (on GPU r of its machine with ``--device cuda``); each shard resumes on its own.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Mapping

from .. import options
from ..errors import CspladeError
from ..launch import launched
from ..options import option
from .common import EncoderOptions, at_least, require


@dataclass
class EncodeSettings(EncoderOptions):
    corpus: str = option("", "corpus JSONL/TSV file (or .gz) or a directory of them")
    output: str = option("", "export directory (its vectors/ is the JsonVectorCollection)")
    shard_id: int = option(0, "the shard to encode: documents i with i % shard_num == shard_id")
    shard_num: int = option(1, "shards the corpus is split into")
    batch_size: int = option(16, "documents per forward pass")
    gzip: bool = option(False, "write .jsonl.gz")
    force: bool = option(False, "encode the shard again; discard an export made with other settings")
    id_field: str | None = option(None, "JSONL id field (default: id, _id, docid or doc_id)")
    fields: list[str] | None = option(None, "JSONL text fields joined by a space (default: contents, else "
                                            "title + text)")

    def validate(self) -> None:
        super().validate()
        require(self, "corpus", "output")
        at_least(self, "shard_num", 1)
        at_least(self, "batch_size", 1)
        if not 0 <= self.shard_id < self.shard_num:
            raise CspladeError(f"--shard-id must be in [0, --shard-num {self.shard_num}), "
                               f"got {self.shard_id}")


def register(commands) -> None:
    parser = commands.add_parser("encode", help="encode a corpus into a JsonVectorCollection",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_arguments(parser, EncodeSettings)
    parser.set_defaults(run=lambda args: run(options.from_args(EncodeSettings, args)))


def take_launched_shard(settings: EncodeSettings, environ: Mapping[str, str]) -> None:
    """Under a multi-process launcher, this process's shard (and GPU) replace the single-process defaults."""
    launch = launched(environ)
    if launch is None:
        return
    if settings.shard_num != 1:
        raise CspladeError(f"--shard-id/--shard-num come from the launcher ({launch.world} processes); "
                           "leave them out")
    settings.shard_id, settings.shard_num = launch.rank, launch.world
    if settings.device == "cuda":
        settings.device = f"cuda:{launch.local_rank}"


def run(settings: EncodeSettings) -> int:
    from ..encode.collection import ExportInfo
    from ..encode.corpus import check_corpus, check_export, encode_corpus
    from ..encode.identity import corpus_identity
    from ..formats.files import check_output_directory, exclusive, portable_reference

    take_launched_shard(settings, os.environ)
    check_output_directory(settings.output)
    fields = tuple(settings.fields) if settings.fields else None
    with exclusive(settings.output, f"shard {settings.shard_id}"):  # one writer per shard, refused at once
        check_corpus(settings.corpus, settings.id_field, fields)
        info = ExportInfo.describe(portable_reference(settings.encoder, settings.output),
                                   corpus_identity(settings.corpus, settings.output), settings.shard_num,
                                   settings.gzip, settings.precision(), settings.batch_size, settings.id_field,
                                   list(fields) if fields else None)
        check_export(settings.output, info, settings.shard_id, settings.force)  # before the model is loaded
        path = encode_corpus(settings.load(), settings.corpus, settings.output, info,
                             shard_id=settings.shard_id, batch_size=settings.batch_size, force=settings.force,
                             id_field=settings.id_field, text_fields=fields)
    print(path)
    return 0

