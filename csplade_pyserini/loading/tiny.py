"""Tiny, randomly initialised causal LMs with in-process tokenizers (no downloads): the models of smoke
runs (``SMOKE=1`` recipes, ``csplade bench --smoke``) and of the unit tests."""
from __future__ import annotations

from pathlib import Path

import torch

CORPUS = [
    "the quick brown fox jumps over the lazy dog",
    "proteins regulate cell death and apoptosis in cancer cells",
    "a vaccine trial measured antibody response in older adults",
    "sparse retrieval uses an inverted index with impact scores",
    "deep learning models encode queries and documents",
    "the lazy dog sleeps all day in the warm sun",
    "gene expression changes during immune response to infection",
] * 4

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def build_tokenizer(kind: str = "bytelevel", vocab_size: int = 300):
    """A fast tokenizer trained in-process: byte-level BPE (GPT-2/Llama-3 style) or Metaspace (▁)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None if kind == "bytelevel" else "<unk>", byte_fallback=kind != "bytelevel"))
    if kind == "bytelevel":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        alphabet = pre_tokenizers.ByteLevel.alphabet()
        specials = SPECIAL
    else:
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
        alphabet = []
        specials = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    trainer = trainers.BpeTrainer(vocab_size=vocab_size + (len(specials) if kind != "bytelevel" else 0),
                                  special_tokens=specials, initial_alphabet=alphabet, show_progress=False)
    tok.train_from_iterator(CORPUS, trainer)
    if kind == "bytelevel":
        return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                       pad_token="<|im_end|>", unk_token="<|endoftext|>")
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="</s>")


def build_lm(arch: str, vocab_size: int, attn_implementation: str = "sdpa", seed: int = 0, hidden: int = 32):
    """A 2-layer random model of the given family (llama, mistral, qwen2, gpt2), ``hidden`` wide."""
    import transformers as tf

    torch.manual_seed(seed)
    common = dict(vocab_size=vocab_size)
    if arch == "gpt2":
        config = tf.GPT2Config(n_embd=hidden, n_layer=2, n_head=2, n_positions=1024, bos_token_id=1, eos_token_id=2,
                               **common)
    else:
        cls = {"llama": tf.LlamaConfig, "mistral": tf.MistralConfig, "qwen2": tf.Qwen2Config}[arch]
        config = cls(hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=2, num_attention_heads=4,
                     num_key_value_heads=2, max_position_embeddings=1024, tie_word_embeddings=False, **common)
    config._attn_implementation = attn_implementation
    model = tf.AutoModelForCausalLM.from_config(config, attn_implementation=attn_implementation)
    with torch.no_grad():  # spread the logits so that many are positive
        model.get_output_embeddings().weight.normal_(0.0, 2.0)
    return model.eval()


def save_tiny(directory: str | Path, arch: str = "llama", tokenizer_kind: str = "bytelevel", hidden: int = 32,
              **config) -> Path:
    """A complete model directory: LM + tokenizer + csplade_config.json."""
    from csplade_pyserini.core.config import CspladeConfig

    directory = Path(directory)
    tokenizer = build_tokenizer(tokenizer_kind)
    lm = build_lm(arch, len(tokenizer), hidden=hidden)
    lm.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    CspladeConfig(**{"doc_top_k": None, **config}).save(directory)
    return directory
