"""``csplade encode``: corpus JSONL/TSV -> JsonVectorCollection shard."""
from __future__ import annotations

import argparse

from .common import add_model_options, load_from_args


def register(commands) -> None:
    parser = commands.add_parser("encode", help="encode a corpus into a JsonVectorCollection",
                                 description=__doc__)
    parser.add_argument("--corpus", required=True, help="corpus JSONL/TSV file (or .gz) or a directory of them")
    parser.add_argument("--output", required=True, help="output directory (the JsonVectorCollection)")
    parser.add_argument("--shard-id", type=int, default=0)
    parser.add_argument("--shard-num", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--gzip", action="store_true", help="write .jsonl.gz")
    parser.add_argument("--force", action="store_true", help="re-encode a shard that is already complete")
    parser.add_argument("--id-field", help="JSONL id field (default: id, _id, docid or doc_id)")
    parser.add_argument("--fields", nargs="+", help="JSONL text fields joined by a space "
                                                    "(default: contents, else title + text)")
    add_model_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..formats.corpus import corpus_files
    from ..encode.corpus import ExportInfo, encode_corpus
    from ..errors import CspladeError

    if args.shard_num < 1 or not 0 <= args.shard_id < args.shard_num:
        raise CspladeError(f"--shard-id must be in [0, --shard-num), got {args.shard_id} of {args.shard_num}")
    corpus_files(args.corpus)  # fail on a missing corpus before loading the model
    model = load_from_args(args)
    info = ExportInfo(encoder=args.encoder, corpus=str(args.corpus), shard_num=args.shard_num,
                      compress=args.gzip, dtype=args.dtype, batch_size=args.batch_size)
    path = encode_corpus(model, args.corpus, args.output, info, shard_id=args.shard_id,
                         batch_size=args.batch_size, force=args.force, id_field=args.id_field,
                         text_fields=tuple(args.fields) if args.fields else None)
    print(path)
    return 0
