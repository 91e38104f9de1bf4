"""Contrastive training on a tiny model: learning, FLOPS sparsity, exports that reload, exact resume."""
import json
from pathlib import Path

import pytest
import torch

from csplade_pyserini.errors import CspladeError
from csplade_pyserini.loading.load import load_model
from csplade_pyserini.train.adapt import setup_adaptation
from csplade_pyserini.train.contrastive import setup_contrastive
from csplade_pyserini.train.export import merge_checkpoint
from csplade_pyserini.train.losses import sparsity


def _rank_loss(run, batch) -> float:
    task = run.trainer.task
    with torch.no_grad():
        return task.compute(task.module, batch, 0)[1]["rank"]


def test_a_few_steps_lower_the_ranking_loss_and_move_only_lora(tmp_path, tiny_dir, files, train_config):
    run = setup_contrastive(train_config(tiny_dir, files, tmp_path / "out", steps=6, batch_size=3,
                                         learning_rate=5e-3))
    batches = [run.trainer.task.batches.batch(g) for g in range(3)]
    before = sum(_rank_loss(run, b) for b in batches)
    lm = run.trainable.model.lm
    base = {n: p.detach().clone() for n, p in lm.named_parameters() if "lora_" not in n}
    run.train()
    assert sum(_rank_loss(run, b) for b in batches) < 0.8 * before
    after = dict(lm.named_parameters())
    assert all(torch.equal(after[n], p) for n, p in base.items())
    lines = [json.loads(line) for line in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [1, 2, 3, 4, 5, 6]
    logged = {"loss", "rank", "flops_q", "flops_d", "lr", "q_terms", "d_terms", "q_zero", "d_zero", "acc"}
    assert logged <= set(lines[0])


def _doc_terms(run) -> float:
    model = run.trainable.model
    model.eval()
    texts = [record["contents"] for record in map(json.loads, Path(run.config.corpus).read_text().splitlines())]
    return sparsity(model.weights(texts, "doc"))[0]


def test_raising_the_flops_weight_lowers_the_number_of_active_terms(tmp_path, tiny_dir, files, train_config):
    terms = []
    for lam in (0.0, 0.05):
        run = setup_contrastive(train_config(tiny_dir, files, tmp_path / f"lambda{lam}", steps=4,
                                             lambda_q=lam, lambda_d=lam, learning_rate=2e-2))
        start = _doc_terms(run)
        run.trainable.model.train()
        run.train()
        terms.append(_doc_terms(run))
    assert terms[1] < 0.8 * terms[0], (start, terms)


@pytest.mark.parametrize("variant", ["bi", "echo"])
def test_merged_adapter_and_checkpoint_exports_encode_like_the_trained_model(tmp_path, tiny_dir, files,
                                                                             variant, train_config,
                                                                             toy_docs):
    texts = list(toy_docs.values())[:4]
    run = setup_contrastive(train_config(tiny_dir, files, tmp_path / "out", steps=2, save_every=2,
                                         variant=variant, query_prefix="Q: ", doc_top_k=7))
    run.train()
    model = run.trainable.model
    model.eval()
    expected = {side: model.weights(texts, side) for side in ("query", "doc")}
    final = run.export()
    out = tmp_path / "out"
    merged = merge_checkpoint(out / "checkpoint-2", tmp_path / "merged")
    for directory in (final, out / "adapter", out / "checkpoint-2", merged):
        again = load_model(str(directory))
        assert again.config.variant == variant and again.config.query_prefix == "Q: "
        assert again.config.doc_top_k == 7
        for side, weights in expected.items():
            torch.testing.assert_close(again.weights(texts, side), weights, atol=1e-5, rtol=1e-5)
    adapter_config = json.loads((out / "adapter" / "csplade_config.json").read_text())
    base = adapter_config["base_model"]  # portable: relative to the adapter directory, never absolute
    assert not Path(base).is_absolute() and (out / "adapter" / base).resolve() == Path(tiny_dir).resolve()
    peft_config = json.loads((out / "adapter" / "adapter_config.json").read_text())
    assert peft_config["base_model_name_or_path"] == base
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    assert not (out / "adapter" / "model.safetensors").exists()  # the adapter alone, not the base


def _trained(run) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in run.trainable.model.named_parameters() if p.requires_grad}


def _interrupt_at(run, stop: int) -> None:
    task = run.trainer.task
    original = task.micro_batches

    def micro_batches(step, count):
        if step == stop:
            raise KeyboardInterrupt
        return original(step, count)

    task.micro_batches = micro_batches


@pytest.mark.parametrize("phase", ["contrastive", "adapt"])
def test_resume_after_an_interruption_matches_an_uninterrupted_run(tmp_path, tiny_dir, files, phase,
                                                                   train_config, adapt_config):
    def setup(output_dir, **overrides):
        if phase == "adapt":
            return setup_adaptation(adapt_config(tiny_dir, files["corpus"], output_dir, steps=4, save_every=2,
                                                 lora_dropout=0.1, **overrides))
        return setup_contrastive(train_config(tiny_dir, files, output_dir, steps=4, save_every=2,
                                              lora_dropout=0.1, **overrides))

    straight = setup(tmp_path / "straight")
    assert straight.train() == 4
    interrupted = setup(tmp_path / "resumed")
    _interrupt_at(interrupted, 3)
    with pytest.raises(KeyboardInterrupt):
        interrupted.train()
    interrupted.lock.close()  # what the end of its process does
    assert (tmp_path / "resumed" / "checkpoint-3").is_dir()  # saved on the interruption
    with pytest.raises(CspladeError, match="pass --resume"):
        setup(tmp_path / "resumed")
    resumed = setup(tmp_path / "resumed", resume=True)
    assert resumed.train() == 4
    expected, got = _trained(straight), _trained(resumed)
    assert expected.keys() == got.keys()
    for name, value in expected.items():
        torch.testing.assert_close(got[name], value, atol=0, rtol=0)
    logs = [[json.loads(line) for line in (tmp_path / d / "metrics.jsonl").read_text().splitlines()]
            for d in ("straight", "resumed")]
    assert [r["step"] for r in logs[1]] == [r["step"] for r in logs[0]]
    assert [r["loss"] for r in logs[1]] == [r["loss"] for r in logs[0]]
    kept = sorted(p.name for p in (tmp_path / "resumed").glob("checkpoint-*"))
    assert kept == ["checkpoint-3", "checkpoint-4"]


def test_full_finetuning_checkpoint_merges_into_a_model_directory(tmp_path, tiny_dir, files, train_config,
                                                                  toy_docs):
    texts = list(toy_docs.values())[:4]
    run = setup_contrastive(train_config(tiny_dir, files, tmp_path / "out", steps=1, full_finetune=True,
                                         learning_rate=1e-3))
    embeddings = run.trainable.model.lm.get_input_embeddings().weight.detach().clone()
    run.train()
    assert not torch.equal(run.trainable.model.lm.get_input_embeddings().weight, embeddings)
    run.trainable.model.eval()
    expected = run.trainable.model.weights(texts, "doc")
    merged = merge_checkpoint(tmp_path / "out" / "checkpoint-1", tmp_path / "merged")
    torch.testing.assert_close(load_model(str(merged)).weights(texts, "doc"), expected, atol=1e-5, rtol=1e-5)
    final = run.export()
    assert not (tmp_path / "out" / "adapter").exists()
    torch.testing.assert_close(load_model(str(final)).weights(texts, "doc"), expected, atol=1e-5, rtol=1e-5)


def test_train_top_k_lets_gradients_reach_only_the_kept_terms(tmp_path, tiny_dir, files, train_config):
    run = setup_contrastive(train_config(tiny_dir, files, tmp_path / "out", steps=1, train_doc_top_k=5,
                                         train_query_top_k=3, lambda_q=1.0, lambda_d=1.0))
    task = run.trainer.task
    captured = {}
    original = task.module.forward

    def forward(queries, docs):
        q, d = original(queries, docs)
        q.retain_grad()
        d.retain_grad()
        captured["query"], captured["doc"] = q, d
        return q, d

    task.module.forward = forward
    loss, metrics = task.compute(task.module, task.batches.batch(0), 0)
    loss.backward()
    assert metrics["d_terms"] > 5 and metrics["q_terms"] > 3  # the raw vectors are what is logged
    for side, k in (("query", 3), ("doc", 5)):
        raw = captured[side]
        touched = raw.grad != 0
        kept = torch.zeros_like(touched).scatter(1, raw.detach().topk(k, dim=1).indices, True)
        assert touched.any() and not (touched & ~kept).any()


def test_files_of_the_user_in_final_are_refused_before_training(tmp_path, tiny_dir, files, train_config):
    notes = tmp_path / "out" / "final" / "notes.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("mine")
    with pytest.raises(CspladeError, match="not written by csplade"):
        setup_contrastive(train_config(tiny_dir, files, tmp_path / "out"))
    assert notes.read_text() == "mine"


def test_resume_refuses_training_data_whose_content_changed(tmp_path, tiny_dir, files, train_config):
    run = setup_contrastive(train_config(tiny_dir, files, tmp_path / "out", steps=2, save_every=1))
    with run.lock:
        run.train()
    qrels = files["qrels"].read_text()
    files["qrels"].write_text(qrels.replace("q0 0 d0 1", "q0 0 d7 1"))  # same path, other judgments
    with pytest.raises(CspladeError, match="content of qrels changed"):
        setup_contrastive(train_config(tiny_dir, files, tmp_path / "out", steps=2, save_every=1, resume=True))
    files["qrels"].write_text(qrels)
    resumed = setup_contrastive(train_config(tiny_dir, files, tmp_path / "out", steps=2, save_every=1, resume=True))
    with pytest.raises(CspladeError, match="another csplade process is writing a training run now"):
        setup_contrastive(train_config(tiny_dir, files, tmp_path / "out", steps=2, save_every=1, resume=True))
    resumed.lock.close()
