"""The model being trained: the start model loaded through the model core, with LoRA (peft) or not.

The start model is a base model name (``smollm2-135m``), a model directory, a hub id, a preset, or an
output directory of ``csplade adapt`` (its merged ``final/``). Training always runs through a
:class:`CspladeModel` over the (LoRA-injected) causal LM, so pooling, variants and term masks are the
ones used at inference.
"""
from __future__ import annotations

import dataclasses
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..core.config import CspladeConfig, overrides_from
from ..core.model import CspladeModel
from ..core.query_table import QueryTable, idf_weights
from ..errors import CspladeError
from ..formats.files import portable_reference
from ..loading.load import load_model
from ..loading.presets import find_preset
from .config import AdaptConfig, LoopConfig, TrainConfig

ADAPTER_CONFIG = "adapter_config.json"


def start_source(ref: str) -> tuple[str, CspladeConfig]:
    """(what to load, its CspladeConfig) for a start model."""
    path = Path(ref).expanduser()
    if path.is_dir() and (path / "final").is_dir() and any(
            (path / cls.CONFIG_FILE).is_file() for cls in (AdaptConfig, TrainConfig)):
        path = path / "final"
    if path.is_dir():
        config = CspladeConfig.load(path) if CspladeConfig.exists(path) else CspladeConfig()
        return str(path.resolve()), config
    preset = find_preset(ref)
    if preset is not None:
        return ref, preset.csplade_config()
    return ref, CspladeConfig()


def resolve_dtype(config: LoopConfig, device: torch.device) -> torch.dtype:
    if config.model_dtype == "float32" or (config.model_dtype == "auto" and device.type == "cpu"):
        return torch.float32
    if config.model_dtype == "bfloat16" or not config.full_finetune:
        return torch.bfloat16
    return torch.float32


@dataclass
class TrainableModel:
    """A CspladeModel under training, its peft wrapper (None for full fine-tuning), and what to export."""

    model: CspladeModel
    peft: Any | None
    export_config: CspladeConfig  # the CspladeConfig written next to exported weights
    base_ref: str  # the start model an adapter applies to (a path, preset, base model name or hub id)

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        return [p for p in self.model.parameters() if p.requires_grad]

    def save_adapter(self, directory: Path) -> bool:
        """LoRA weights + csplade_config.json naming ``base_model``: loadable by ``load_model``.

        The base is named portably: a local start directory by its path relative to ``directory``, a
        preset, base model or hub id by its name (peft's ``base_model_name_or_path`` likewise)."""
        if self.peft is None:
            return False
        self.peft.save_pretrained(str(directory))
        if self.model.query_table is not None:
            self.model.query_table.save(directory)
        base = portable_reference(self.base_ref, directory)
        settings_file = directory / ADAPTER_CONFIG
        settings = json.loads(settings_file.read_text())
        settings["base_model_name_or_path"] = base
        settings_file.write_text(json.dumps(settings, indent=2) + "\n")
        dataclasses.replace(self.export_config, base_model=base).save(directory)
        return True

    def merged(self) -> CspladeModel:
        """The adapters merged into the LM (in place: call last) as an encoder with ``export_config``."""
        lm = self.model.lm if self.peft is None else self.peft.merge_and_unload()
        return CspladeModel(lm.eval(), self.model.tokenizer, self.export_config, self.model.query_table)


def build_trainable(config: LoopConfig, device: torch.device, run_variant: str | None = None,
                    **export_overrides: Any) -> TrainableModel:
    """Load the start model, add LoRA (or unfreeze everything) and wrap it in a CspladeModel.

    ``run_variant`` is the attention used while training (adaptation with CLM trains causally even
    for a ``bi`` encoder); ``export_overrides`` are CspladeConfig fields of the exported encoder. An
    inference-free encoder (``query_encoder: table``) gets its query table from :func:`query_table_for`.
    """
    source, start_config = start_source(config.model)
    # variant="causal" keeps the model core from making the LM bidirectional before we decide to
    start = load_model(source, device=str(device), dtype=resolve_dtype(config, device),
                       attn_implementation=config.attn_implementation, variant="causal")
    lm, tokenizer = start.lm, start.tokenizer
    lm.config.use_cache = False
    if config.gradient_checkpointing:
        lm.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    torch.manual_seed(config.seed)  # the LoRA initialisation depends on the seed only
    peft_model = None
    if config.full_finetune:
        for parameter in lm.parameters():
            parameter.requires_grad_(True)
    else:
        from peft import LoraConfig, get_peft_model

        targets = "all-linear" if config.lora_targets == ["all-linear"] else list(config.lora_targets)
        lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha or 2 * config.lora_r,
                          lora_dropout=config.lora_dropout, target_modules=targets, bias="none",
                          task_type="CAUSAL_LM")
        with warnings.catch_warnings():  # peft reads a property that transformers 5 marks deprecated
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            peft_model = get_peft_model(lm, lora)  # injects the adapters into ``lm`` in place
    lm.train()
    export_config = dataclasses.replace(start_config, base_model=None,
                                        variant=config.variant or start_config.variant, **export_overrides)
    export_config.validate()
    run_config = dataclasses.replace(export_config, variant=run_variant or export_config.variant)
    table = None
    if export_config.inference_free:
        assert isinstance(config, TrainConfig)
        table = query_table_for(config, tokenizer, export_config, lm.get_output_embeddings().out_features)
    model = CspladeModel(lm, tokenizer, run_config, table)
    return TrainableModel(model, peft_model, export_config, source)


def query_table_for(config: TrainConfig, tokenizer, export_config: CspladeConfig, vocab_size: int) -> QueryTable:
    """The query table an inference-free run starts from: ``--query-table``, else BM25's IDF over the
    training corpus; trained with the document encoder when ``--learn-query-table``."""
    from ..formats.corpus import read_corpus

    if config.query_table:
        return QueryTable.load(config.query_table, trainable=config.learn_query_table)
    if not config.corpus:
        raise CspladeError("inference-free training (--query-encoder table) computes its query table's IDF "
                           "over --corpus: set --corpus, or give --query-table")
    texts = (document.text for document in read_corpus(config.corpus))
    return QueryTable(idf_weights(tokenizer, export_config, texts, vocab_size), trainable=config.learn_query_table)


def export_overrides(config: TrainConfig) -> dict[str, Any]:
    """CspladeConfig fields set by a contrastive config (None = keep the start model's)."""
    return {name: value for name, value in overrides_from(config).items() if name != "variant"}  # applied apart


def build_for(config: LoopConfig, device: torch.device) -> TrainableModel:
    """The model a phase trains: adaptation runs causally (bidirectionally for MNTP) and exports the
    start model's settings; contrastive training runs and exports its config's variant and lengths."""
    if isinstance(config, AdaptConfig):
        return build_trainable(config, device, run_variant="bi" if config.objective == "mntp" else "causal")
    assert isinstance(config, TrainConfig)
    return build_trainable(config, device, **export_overrides(config))
