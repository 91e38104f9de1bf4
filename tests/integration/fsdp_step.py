"""One backward pass of a LoRA CspladeModel, sharded by torch's FSDP2 (``fully_shard``, what accelerate's
FSDP plugin applies with ``fsdp_version: 2``) over the processes torchrun started, or unsharded in a single
process. Writes {parameter: gradient} of the LoRA weights (whole tensors) to ``argv[2]`` as safetensors.

    torchrun --nproc_per_node 2 fsdp_step.py MODEL OUT      # two CPU processes, gloo
    python fsdp_step.py MODEL OUT                           # one process, the whole batch
"""
import os
import sys
import tempfile
from pathlib import Path

import torch
import torch.distributed as dist
from safetensors.torch import save_file

from csplade_pyserini.options import build
from csplade_pyserini.train.config import TrainConfig
from csplade_pyserini.train.modeling import build_for

TEXTS = ["the quick brown fox jumps", "proteins regulate cell death in cancer cells",
         "a vaccine trial measured antibody response", "sparse retrieval uses an inverted index"]


def main(model: str, output: str) -> None:
    sharded = "WORLD_SIZE" in os.environ
    if sharded:
        dist.init_process_group("gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if sharded else (0, 1)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "triples.tsv"
        data.write_text("query\tpositive\tnegative\n")
        config = build(TrainConfig, {"model": model, "triples": str(data), "output_dir": tmp, "cpu": True,
                                     "steps": 1,
                                     "lora_r": 4, "lora_dropout": 0.0, "doc_max_length": 16,
                                     "model_dtype": "float32", "variant": "bi"})
        torch.manual_seed(0)  # the same LoRA initialisation in every process
        trainable = build_for(config, torch.device("cpu"))
    model_ = trainable.model
    if sharded:
        from torch.distributed.fsdp import fully_shard

        for layer in trainable.peft.get_base_model().model.layers:
            fully_shard(layer)
        fully_shard(model_)
    part = TEXTS[rank * len(TEXTS) // world:(rank + 1) * len(TEXTS) // world]
    weights = model_(model_.tokenize(part, "doc"), checkpoint_pooling=True)
    (weights.sum(dim=1).mean()).backward()  # FSDP averages the processes' gradients: the global mean's
    grads = {}
    for name, parameter in model_.named_parameters():
        if parameter.requires_grad:
            grad = parameter.grad.full_tensor() if sharded else parameter.grad
            grads[name] = grad.detach().contiguous().clone()
    if rank == 0:
        save_file(grads, output)
    if sharded:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
