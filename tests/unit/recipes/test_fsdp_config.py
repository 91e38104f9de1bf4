"""The GPU FSDP config of the MS MARCO recipe is what accelerate's launcher turns into its FSDP2 plugin."""
from pathlib import Path

import transformers
from accelerate.commands.launch import _validate_launch_command, launch_command_parser
from accelerate.utils import FullyShardedDataParallelPlugin, patch_environment
from accelerate.utils.launch import prepare_multi_gpu_env

CONFIG = Path(__file__).resolve().parents[3] / "recipes" / "msmarco-passage" / "fsdp.yaml"


def test_accelerate_reads_the_recipes_fsdp_config_as_fsdp2_wrapping_llama_layers():
    args = launch_command_parser().parse_args(["--config_file", str(CONFIG), "train.py"])
    args, _, _ = _validate_launch_command(args)
    assert args.use_fsdp and args.num_processes == 8 and args.mixed_precision == "bf16"
    env = {k: v for k, v in prepare_multi_gpu_env(args).items() if k.startswith(("FSDP_", "ACCELERATE_"))}
    assert env["ACCELERATE_USE_FSDP"] == "true"
    with patch_environment(**env):
        plugin = FullyShardedDataParallelPlugin()
    assert plugin.fsdp_version == 2 and plugin.reshard_after_forward is True
    assert plugin.state_dict_type.name == "SHARDED_STATE_DICT" and plugin.activation_checkpointing
    assert plugin.transformer_cls_names_to_wrap == ["LlamaDecoderLayer"]
    assert hasattr(transformers.models.llama.modeling_llama, "LlamaDecoderLayer")  # the class it wraps exists
