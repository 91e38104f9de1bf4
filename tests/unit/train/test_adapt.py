"""Adaptation phase on a tiny model: the loss goes down, only LoRA moves, MNTP trains bidirectionally."""
import json

import pytest
import torch

from csplade_pyserini.train.adapt import setup_adaptation
from csplade_pyserini.train.packing import SequenceStream


def _loss(task, batch) -> float:
    with torch.no_grad():
        return task.compute(task.module, batch, 0)[0].item()


def test_one_adaptation_step_lowers_the_loss_and_moves_only_lora(tmp_path, tiny_dir, files, adapt_config):
    run = setup_adaptation(adapt_config(tiny_dir, files["corpus"], tmp_path / "out", steps=1, batch_size=4))
    task, lm = run.trainer.task, run.trainable.model.lm
    batch = SequenceStream(str(files["corpus"]), task.trainable.model.tokenizer, 24).next_batch(4)
    before = _loss(task, batch)
    base = {n: p.detach().clone() for n, p in lm.named_parameters() if "lora_" not in n}
    lora = {n: p.detach().clone() for n, p in lm.named_parameters() if "lora_" in n}
    assert lora and all(not p.requires_grad for n, p in lm.named_parameters() if "lora_" not in n)
    assert run.train() == 1
    assert _loss(task, batch) < before
    after = dict(lm.named_parameters())
    assert all(torch.equal(after[n], p) for n, p in base.items())
    assert any(not torch.equal(after[n], p) for n, p in lora.items())
    record = json.loads((tmp_path / "out" / "metrics.jsonl").read_text().splitlines()[-1])
    assert record["step"] == 1 and 0.0 < record["zero_frac"] < 1.0 and record["pooled_terms"] > 0
    assert record["relu"] > 0 and record["loss"] > record["clm"]


def test_relu_term_weight_enters_the_loss(tmp_path, tiny_dir, files, adapt_config):
    losses = []
    for i, weight in enumerate((0.0, 2.0)):
        config = adapt_config(tiny_dir, files["corpus"], tmp_path / f"out{i}", lambda_relu=weight)
        run = setup_adaptation(config)
        batch = SequenceStream(str(files["corpus"]), run.trainable.model.tokenizer, 24).next_batch(2)
        with torch.no_grad():
            losses.append(run.trainer.task.compute(run.trainer.task.module, batch, 0))
    (plain, m0), (weighted, m2) = losses
    assert plain.item() == pytest.approx(m0["clm"])
    assert weighted.item() == pytest.approx(m2["clm"] + 2.0 * m2["relu"])


def test_mntp_trains_bidirectionally_on_masked_positions(tmp_path, tiny_dir, files, adapt_config):
    config = adapt_config(tiny_dir, files["corpus"], tmp_path / "out", variant="bi", objective="mntp",
                          mask_probability=0.3, steps=1)
    run = setup_adaptation(config)
    model = run.trainable.model
    assert model.config.variant == "bi"
    a = model.tokenize(["proteins regulate cell death"], "doc")
    b = model.tokenize(["proteins regulate cell dog"], "doc")
    with torch.no_grad():
        assert not torch.allclose(model.hidden_states(a)[0, 1], model.hidden_states(b)[0, 1])
    run.train()
    record = json.loads((tmp_path / "out" / "metrics.jsonl").read_text().splitlines()[-1])
    assert record["clm"] > 0 and record["tokens"] == 48
    assert 0 < record["predicted"] < 0.6 * 48  # only the positions before masked tokens are predicted
    final = run.export()
    assert json.loads((final / "csplade_config.json").read_text())["variant"] == "bi"


def test_clm_adaptation_of_a_bi_encoder_trains_causally(tmp_path, tiny_dir, files, adapt_config):
    run = setup_adaptation(adapt_config(tiny_dir, files["corpus"], tmp_path / "out", variant="bi"))
    model = run.trainable.model
    a = model.tokenize(["proteins regulate cell death"], "doc")
    b = model.tokenize(["proteins regulate cell dog"], "doc")
    with torch.no_grad():
        torch.testing.assert_close(model.hidden_states(a)[0, 1], model.hidden_states(b)[0, 1])
    assert run.trainable.export_config.variant == "bi"


def test_gradient_checkpointing_gives_the_same_step(tmp_path, tiny_dir, files, adapt_config):
    weights = []
    for flag in (False, True):
        run = setup_adaptation(adapt_config(tiny_dir, files["corpus"], tmp_path / f"gc{flag}", steps=1,
                                            gradient_checkpointing=flag))
        layers = [m for m in run.trainable.model.lm.modules() if hasattr(m, "gradient_checkpointing")]
        assert layers and all(m.gradient_checkpointing == flag for m in layers)
        run.train()
        weights.append({n: p.detach() for n, p in run.trainable.model.named_parameters() if p.requires_grad})
    for name, value in weights[0].items():
        torch.testing.assert_close(weights[1][name], value, atol=1e-6, rtol=1e-5)
