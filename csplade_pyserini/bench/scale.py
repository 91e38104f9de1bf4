"""A memory and time model of one training step per process, for planning runs on GPUs (docs/scale.md).

Peak memory of a process = weights + trained states (LoRA or full: fp32 weights, gradients, AdamW's two
moments, DDP's gradient buckets) + activations (every decoder layer's saved tensors, or with gradient
checkpointing only each layer's input plus one layer recomputed) + the vocabulary buffers (CSPLADE pooling
projects ``pool_chunk_size x texts`` positions at a time onto the vocabulary; the adaptation loss projects
``loss_chunk_size`` positions) + a fixed runtime overhead. FSDP divides weights and trained states by the
number of shards and adds one layer gathered whole. Time = FLOPs / (peak FLOP/s x utilisation).

The saved-tensor count of a LLaMA-style layer (grouped-query attention, SwiGLU MLP, RMSNorm, flash or
memory-efficient attention: no [L, L] matrix) is per token ``8 H + 2 H_kv + 4 I`` elements: the two
norms' inputs and outputs, q, k, v, the attention output and its copy into o_proj, the MLP's gate, its
SiLU, up and their product; LoRA adds ``r`` per adapted linear. ``csplade scale --measure`` checks the
model against steps measured on this machine (docs/scale.md has the table).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

GIB = 1024 ** 3
LORA_LINEARS = 7  # q, k, v, o, gate, up, down ("all-linear")


@dataclass(frozen=True)
class Architecture:
    """The shape of a LLaMA-style decoder."""

    name: str
    hidden: int
    layers: int
    intermediate: int
    heads: int
    kv_heads: int
    vocab: int
    tied: bool

    @classmethod
    def from_hf(cls, name: str, config: Any) -> "Architecture":
        """From a transformers config (``LlamaConfig`` and alike)."""
        return cls(name, config.hidden_size, config.num_hidden_layers, config.intermediate_size,
                   config.num_attention_heads, getattr(config, "num_key_value_heads", None)
                   or config.num_attention_heads, config.vocab_size, bool(config.tie_word_embeddings))

    @property
    def kv_dim(self) -> int:
        return self.hidden // self.heads * self.kv_heads

    def layer_parameters(self) -> int:
        h, kv, i = self.hidden, self.kv_dim, self.intermediate
        return 2 * h * h + 2 * h * kv + 3 * h * i + 2 * h

    def parameters(self) -> int:
        embeddings = self.vocab * self.hidden * (1 if self.tied else 2)
        return embeddings + self.layers * self.layer_parameters() + self.hidden

    def lora_parameters(self, rank: int) -> int:
        """LoRA A and B of every linear of every layer (the LM head is not adapted)."""
        h, kv, i = self.hidden, self.kv_dim, self.intermediate
        fans = [(h, h), (h, kv), (h, kv), (h, h), (h, i), (h, i), (i, h)]
        return self.layers * rank * sum(a + b for a, b in fans)

    def saved_per_token_layer(self, lora_rank: int | None) -> int:
        """Elements autograd keeps per token and layer (see the module docstring)."""
        return 8 * self.hidden + 2 * self.kv_dim + 4 * self.intermediate + LORA_LINEARS * (lora_rank or 0)


# The models of the paper and of this project (their Hugging Face configs).
ARCHITECTURES = {a.name: a for a in (
    Architecture("Llama-3.2-1B", 2048, 16, 8192, 32, 8, 128256, True),
    Architecture("Llama-3.1-8B", 4096, 32, 14336, 32, 8, 128256, False),
    Architecture("SmolLM2-135M", 576, 30, 1536, 9, 3, 49152, True),
)}


@dataclass(frozen=True)
class Step:
    """One optimizer step of one process: its micro-batch and how it is trained."""

    texts: int  # sequences in the forward (contrastive: queries + documents)
    tokens: int  # tokens per sequence (ECHO: both copies)
    pooled: int  # positions per sequence projected onto the vocabulary (ECHO: the second copy)
    phase: str = "contrastive"  # or "adapt": every position predicts the next token
    lora_rank: int | None = 16  # None: full fine-tuning
    weight_bytes: int = 2  # frozen weights (bf16 on GPU; fp32 for full fine-tuning and on the CPU)
    activation_bytes: int = 2
    gradient_checkpointing: bool = True
    pool_chunk_size: int = 32
    loss_chunk_size: int = 1024
    processes: int = 1
    fsdp: bool = False
    overhead_bytes: float = 1.0 * GIB  # CUDA context, cuBLAS workspaces; 0 on the CPU


@dataclass(frozen=True)
class Gpu:
    name: str
    memory_gib: float
    bf16_flops: float  # dense peak FLOP/s


H100 = Gpu("H100 SXM 80GB", 80.0, 989e12)


def memory(arch: Architecture, step: Step) -> dict[str, float]:
    """Predicted bytes per process, by part, and their ``total``."""
    shards = step.processes if step.fsdp else 1
    weights = arch.parameters() * step.weight_bytes / shards
    if step.fsdp:
        weights += arch.layer_parameters() * step.weight_bytes  # one layer gathered whole
    if step.lora_rank is None:  # fp32 master weights are the weights; + gradients + two moments
        trained = arch.parameters() * (4 + 4 + 8) / shards - arch.parameters() * step.weight_bytes / shards
    else:
        trained = arch.lora_parameters(step.lora_rank) * (4 + 4 + 8)
    if step.processes > 1 and not step.fsdp:  # DDP's gradient buckets
        trained += (arch.lora_parameters(step.lora_rank) if step.lora_rank else arch.parameters()) * 4
    tokens = step.texts * step.tokens
    per_layer = tokens * arch.saved_per_token_layer(step.lora_rank) * step.activation_bytes
    if step.gradient_checkpointing:
        activations = arch.layers * tokens * arch.hidden * step.activation_bytes + per_layer
    else:
        activations = arch.layers * per_layer
    return {"weights": weights, "trained": trained, "activations": activations,
            "vocabulary": vocabulary_buffer(arch, step), "overhead": step.overhead_bytes,
            "total": weights + trained + activations + vocabulary_buffer(arch, step) + step.overhead_bytes}


def vocabulary_buffer(arch: Architecture, step: Step) -> float:
    """Peak of the projections onto the vocabulary, fp32: in the backward pass of a pooling chunk its
    recomputed logits, their gradient and the max's mask; of a loss chunk the logits, their saturation, two
    softmaxes and a gradient."""
    if step.phase == "adapt":
        rows = min(step.loss_chunk_size, step.texts * step.tokens)
        return 5 * rows * arch.vocab * 4
    rows = min(step.pool_chunk_size * step.texts, step.texts * step.pooled)
    pooled_out = 4 * step.texts * arch.vocab * 4  # running max, saturated weights and their gradients
    return (2 * 4 + 1) * rows * arch.vocab + pooled_out


def flops(arch: Architecture, step: Step) -> float:
    """FLOPs of one step of one process: forward 2P per token, backward 2P (input gradients) + 2P
    (weight gradients, full fine-tuning only), + 2P when activations are recomputed; attention and the
    vocabulary projection on their own."""
    body = arch.layers * arch.layer_parameters()
    tokens = step.texts * step.tokens
    passes = 2 + 2 + (2 if step.lora_rank is None else 0) + (2 if step.gradient_checkpointing else 0)
    attention = 4 * arch.layers * arch.hidden * step.tokens * tokens * passes / 2
    projected = tokens if step.phase == "adapt" else step.texts * step.pooled
    vocabulary = projected * 2 * arch.hidden * arch.vocab * 4  # forward, recompute, two backward products
    return tokens * body * passes + attention + vocabulary


def step_seconds(arch: Architecture, step: Step, flops_per_second: float) -> float:
    return flops(arch, step) / flops_per_second


def step_transient(arch: Architecture, step: Step) -> float:
    """What a step allocates and frees (activations, vocabulary buffers, gradients): what the CPU probe
    measures, the weights and optimizer moments being in memory before it."""
    parts = memory(arch, step)
    trained = arch.lora_parameters(step.lora_rank) if step.lora_rank else arch.parameters()
    return parts["activations"] + parts["vocabulary"] + trained * 4


@dataclass(frozen=True)
class Phase:
    """A recipe phase on ``processes`` GPUs: the step of one process, repeated ``micro_steps`` times."""

    name: str
    arch: Architecture
    step: Step
    micro_steps: int


def msmarco_phases(gpus: int = 8, train_queries: int = 502_939) -> list[Phase]:
    """The phases of recipes/msmarco-passage (config.sh's defaults; a unit test keeps the two equal):
    adaptation 10k steps of 32 x 2,048 packed tokens (1B: full fine-tuning, 8B: LoRA r 64); contrastive
    32 queries x 16 passages per step (1B: LoRA r 64, 3 epochs; 8B: LoRA r 16, 1 epoch), 32 / 256 tokens,
    gradient checkpointing; bf16 autocast; one process per GPU."""
    queries, docs = 32 // gpus, 32 * 16 // gpus
    texts = queries + docs
    tokens = (queries * 32 + docs * 256) / texts
    phases = []
    for arch, adapt_rank, rank, epochs in ((ARCHITECTURES["Llama-3.2-1B"], None, 64, 3),
                                            (ARCHITECTURES["Llama-3.1-8B"], 64, 16, 1)):
        adapt = Step(texts=1, tokens=2048, pooled=2048, phase="adapt", lora_rank=adapt_rank,
                     weight_bytes=4 if adapt_rank is None else 2, processes=gpus)
        phases.append(Phase(f"{arch.name} adapt", arch, adapt, 10_000 * 32 // gpus))
        steps = math.ceil(epochs * train_queries / 32)
        for variant, factor in (("bi", 1), ("echo", 2)):
            step = Step(texts=texts, tokens=round(tokens * factor), pooled=round(tokens), lora_rank=rank,
                        processes=gpus)
            phases.append(Phase(f"{arch.name} train {variant}", arch, step, steps))
    return phases


def gib(value: float) -> float:
    return math.ceil(value / GIB * 10) / 10
