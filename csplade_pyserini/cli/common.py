"""Options shared by the commands that load an encoder."""
from __future__ import annotations

import argparse


def add_model_options(parser: argparse.ArgumentParser, default: str | None = "csplade") -> None:
    group = parser.add_argument_group("encoder")
    group.add_argument("--encoder", "--model", dest="encoder", default=default, required=default is None,
                       help="model directory, preset name from encoders/, or Hugging Face id (default: %(default)s)")
    group.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N")
    group.add_argument("--dtype", default="float32",
                       help="float32 (default), bfloat16, float16, int8 (CPU dynamic quantisation), auto "
                            "(bf16 on CUDA or a CPU with native bf16, else float32)")
    group.add_argument("--variant", choices=("causal", "echo", "bi"), help="override the encoder's variant")
    group.add_argument("--query-variant", choices=("causal", "echo"), help="override the query side's variant")
    group.add_argument("--query-max-length", type=int)
    group.add_argument("--doc-max-length", type=int)
    group.add_argument("--query-top-k", type=int)
    group.add_argument("--doc-top-k", type=int)
    group.add_argument("--weight-scale", type=float, help="impact = round(weight * scale)")


OVERRIDES = ("variant", "query_variant", "query_max_length", "doc_max_length", "query_top_k", "doc_top_k", "weight_scale")


def load_from_args(args: argparse.Namespace):
    from transformers.utils import logging as hf_logging

    from ..loading.load import load_model

    hf_logging.disable_progress_bar()  # loading bars would bury the command's own output

    overrides = {name: getattr(args, name) for name in OVERRIDES if getattr(args, name, None) is not None}
    return load_model(args.encoder, device=args.device, dtype=args.dtype, **overrides)
