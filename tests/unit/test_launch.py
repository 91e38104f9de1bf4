"""Where a process stands in a multi-process launch, and the launches that would run something else."""
import pytest

from csplade_pyserini.cli.encode import EncodeSettings, take_launched_shard
from csplade_pyserini.errors import CspladeError
from csplade_pyserini.launch import Launch, check_distributed, launched

TORCHRUN = {"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "MASTER_ADDR": "127.0.0.1"}


def test_a_launched_process_knows_its_rank_among_all():
    assert launched(TORCHRUN) == Launch(rank=3, world=4, local_rank=1)
    assert launched({}) is None and launched({"WORLD_SIZE": "1", "RANK": "0"}) is None


def test_accelerates_single_process_cpu_launch_of_several_is_refused():
    simple = {"ACCELERATE_USE_CPU": "True", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}
    with pytest.raises(CspladeError, match="starts one process without MPI"):
        launched(simple)
    assert launched({"ACCELERATE_USE_CPU": "True"}) is None  # --num_processes 1: no MASTER_ADDR


def test_the_process_group_must_be_the_launched_one_and_fsdp_only_where_it_runs():
    check_distributed(TORCHRUN, "MULTI_CPU", 4)
    check_distributed({}, "NO", 1)
    with pytest.raises(CspladeError, match="started 4 processes but accelerate formed a group of 1"):
        check_distributed(TORCHRUN, "NO", 1)
    with pytest.raises(CspladeError, match="FSDP on GPU processes only and would run MULTI_CPU"):
        check_distributed({**TORCHRUN, "ACCELERATE_USE_FSDP": "true"}, "MULTI_CPU", 4)
    check_distributed({**TORCHRUN, "ACCELERATE_USE_FSDP": "true"}, "FSDP", 4)


def test_encode_under_a_launcher_takes_the_shard_and_gpu_of_its_process():
    settings = EncodeSettings(encoder="x", corpus="c.jsonl", output="out", device="cuda")
    take_launched_shard(settings, TORCHRUN)
    assert (settings.shard_id, settings.shard_num, settings.device) == (3, 4, "cuda:1")
    alone = EncodeSettings(encoder="x", corpus="c.jsonl", output="out", shard_id=1, shard_num=2)
    take_launched_shard(alone, {})
    assert (alone.shard_id, alone.shard_num, alone.device) == (1, 2, "cpu")
    with pytest.raises(CspladeError, match="come from the launcher"):
        take_launched_shard(alone, TORCHRUN)
