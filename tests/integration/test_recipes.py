"""The recipes in smoke mode (SMOKE=1): every command and flag they use runs, end to end, on a tiny
random model and a slice of BEIR SciFact, and each prints its table. The numbers mean nothing, except
BM25's: the slice keeps every judged document, so BM25 must find them."""
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from csplade_pyserini.core.model import CspladeModel
from csplade_pyserini.formats.trec import read_run, read_topics
from csplade_pyserini.loading.adapters import WEIGHTS, peft_directory
from csplade_pyserini.loading.load import load_model, load_preset
from csplade_pyserini.loading.presets import Preset

REPO = Path(__file__).resolve().parents[2]
RECIPES = REPO / "recipes"


@pytest.fixture(scope="module")
def smoke_model(tmp_path_factory) -> Path:
    """One tiny encoder shared by every recipe (the one `recipes/smoke.py model` makes)."""
    spec = importlib.util.spec_from_file_location("smoke", RECIPES / "smoke.py")
    smoke = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(smoke)
    return smoke.make_model(tmp_path_factory.mktemp("smoke") / "tiny-encoder")


def recipe(script: str, *args, check: bool = True, **env) -> subprocess.CompletedProcess:
    """``bash recipes/SCRIPT ARGS`` in smoke mode with this Python; the table is on stdout. ``check``: it
    must succeed."""
    environ = {**os.environ, "SMOKE": "1", "PY": sys.executable, "CSPLADE_SKIP_SETUP": "1",
               "OMP_NUM_THREADS": "1", **{k: str(v) for k, v in env.items()}}
    environ = {k: v for k, v in environ.items() if v != "<unset>"}
    result = subprocess.run(["bash", str(RECIPES / script), *map(str, args)], capture_output=True, text=True,
                            env=environ, cwd="/")
    assert result.returncode == 0 or not check, f"{script} failed:\n{result.stdout[-2000:]}\n{result.stderr[-5000:]}"
    return result


def parse_table(text: str) -> dict[str, dict[str, str]]:
    """{run name: {column: cell}} of the Markdown table(s) in ``text`` (a header is the line before |---|)."""
    rows: dict[str, dict[str, str]] = {}
    header: list[str] = []
    previous: list[str] = []
    for line in text.splitlines():
        if not line.startswith("|"):
            header, previous = [], []
            continue
        if set(line.strip()) <= set("|-"):
            header = previous
            rows.pop(header[0], None)
            continue
        previous = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header:
            rows[previous[0]] = dict(zip(header, previous))
        else:
            rows[previous[0]] = {}
    return rows


def score(cell: str) -> float:
    value = float(cell)
    assert 0.0 <= value <= 1.0, cell
    return value


def test_quickstart_smoke_runs_end_to_end_and_reuses_its_steps(smoke_model, tmp_path):
    work = tmp_path / "quickstart"
    # IR_DATASETS_HOME unset: the recipe links ../shared/ir_datasets into WORK (offline here)
    first = recipe("quickstart.sh", "--check", ENCODER=smoke_model, WORK=work, IR_DATASETS_HOME="<unset>")
    assert (work / "ir_datasets" / "beir" / "scifact").is_symlink()
    assert "OK BM25 nDCG@10: 0.8853 (expected 0.8853 +- 0.0001)" in first.stdout  # recipes/expected.yaml
    table = parse_table(first.stdout)
    csplade, bm25 = table[f"CSPLADE ({smoke_model.name})"], table["BM25"]
    hybrid = table["CSPLADE + BM25 (RRF k=60)"]  # the smoke model's directory records no fusion setting
    assert score(hybrid["nDCG@10"]) >= 0 and hybrid["index"] == "–"
    assert list(csplade) == ["run", "nDCG@10", "R@100", "index", "terms/doc", "terms/query", "docs/s", "weights",
                             "peak RSS", "encode"]
    assert float(csplade["docs/s"]) > 0
    assert all(re.fullmatch(r"\d+ MiB", csplade[column]) for column in ("weights", "peak RSS"))
    score(csplade["nDCG@10"])
    score(csplade["R@100"])
    assert score(bm25["nDCG@10"]) > 0.3 and score(bm25["R@100"]) > 0.5  # judged documents are in the slice
    assert all(re.fullmatch(r"\d+\.\d (KB|MB)", row["index"]) for row in (csplade, bm25))
    assert 0 < float(csplade["terms/doc"]) <= 32  # the smoke model keeps 32 terms per document
    assert float(csplade["terms/query"]) > 0 and re.fullmatch(r"\d+s", csplade["encode"])
    assert bm25["terms/doc"] == bm25["encode"] == "–"

    report = json.loads((work / "report.json").read_text())
    assert [run["name"] for run in report["runs"]] == list(table)
    assert f"{report['runs'][1]['scores']['nDCG@10']:.4f}" == bm25["nDCG@10"]
    assert parse_table((work / "report.md").read_text()) == table
    run = read_run(work / "runs" / "csplade.trec")
    assert len(run) == 20 and all(len(hits) <= 1000 for hits in run.values())

    # the query vectors counted in the table are those the searcher made: one query at a time
    # (CspladeQueryEncoder.encode), keyed by the topic text (how Pyserini reads a query-vector file)
    model = load_model(str(smoke_model), dtype="auto")  # the recipe's DTYPE (auto), for both
    topics = read_topics(work / "data" / "topics.tsv")
    records = [json.loads(line) for line in (work / "queries.jsonl").read_text().splitlines()]
    assert [(r["id"], r["contents"]) for r in records] == list(topics.items())
    assert all(r["vector"] == model.encode_impacts([r["contents"]], "query")[0] for r in records)

    again = recipe("quickstart.sh", ENCODER=smoke_model, WORK=work, IR_DATASETS_HOME="<unset>")
    assert parse_table(again.stdout) == table
    assert "evaluated before" in again.stderr
    assert "encode shard" not in again.stderr and "Running" not in again.stderr  # nothing redone
    other = subprocess.run(["bash", str(RECIPES / "quickstart.sh")], capture_output=True, text=True,
                           env={**os.environ, "PY": sys.executable, "WORK": str(work), "ENCODER": "csplade"})
    assert other.returncode == 2 and "made with another encoder" in other.stderr
    assert "tiny-encoder' -> 'csplade'" in other.stderr  # names what differs


def test_beir_smoke_prints_ndcg_per_dataset_and_the_average(smoke_model, tmp_path):
    work = tmp_path / "beir"
    result = recipe("beir.sh", smoke_model, "beir/scifact/test", WORK=work, DEVICE="cpu", GPUS=2)
    table = parse_table(result.stdout)
    assert list(table) == ["scifact", "average"]
    assert table["average"]["nDCG@10"] == table["scifact"]["nDCG@10"]
    score(table["scifact"]["nDCG@10"])
    stats = sorted(p.name for p in (work / "scifact" / "encoded" / "stats").iterdir())
    assert stats == ["part-00000-of-00002.jsonl.json", "part-00001-of-00002.jsonl.json"]  # 2 shards at once
    assert "(sum of 2 shards)" in table["scifact"]["encode"]
    report = json.loads((work / "report.json").read_text())
    assert report["average"] == {"nDCG@10": report["runs"][0]["scores"]["nDCG@10"]}


def test_quantization_smoke_builds_one_index_per_precision_and_says_what_did_not_run(smoke_model, tmp_path):
    work = tmp_path / "quantization"
    result = recipe("quantization.sh", "bfloat16", "torch-int8", "torchao-int4wo", WORK=work)
    table = parse_table(result.stdout)
    assert list(table) == ["bfloat16", "torch-int8", "torchao-int4wo"]
    for precision in ("bfloat16", "torch-int8"):  # the paper's protocol: the index of the quantized model
        assert (work / precision / "index").is_dir() and score(table[precision]["nDCG@10"]) >= 0
    assert table["bfloat16"]["docs/s vs bfloat16"] == "1.00x"  # ratios against bf16, in the same run
    assert table["torchao-int4wo"]["not run"] != "–" and table["torchao-int4wo"]["nDCG@10"] == "–"
    assert (work / "torchao-int4wo" / "not-run.txt").read_text().strip() == table["torchao-int4wo"]["not run"]

    # a finished row is not reused by another encoder: one line, and the row stays as it was
    vectors = work / "bfloat16" / "encoded" / "vectors" / "part-00000-of-00001.jsonl"
    before = vectors.read_bytes()
    other = recipe("quantization.sh", "bfloat16", WORK=work, ENCODER=smoke_model, check=False)
    assert other.returncode == 2 and "error:" in other.stderr.strip().splitlines()[-1]
    assert "encoder" in other.stderr.strip().splitlines()[-1] and vectors.read_bytes() == before


def test_msmarco_recipe_smoke_runs_every_step(smoke_model, tmp_path):
    work = tmp_path / "msmarco"
    result = recipe("msmarco-passage/run.sh", WORK=work, BASE_MODEL=smoke_model, VARIANT="bi", CHECKPOINT=2)
    table = parse_table(result.stdout)
    assert set(table) == {"BM25 dev", "CSPLADE-bi-1b dev"}
    for row in table.values():
        score(row["MRR@10"])
        score(row["R@1k"])
    assert score(table["BM25 dev"]["MRR@10"]) > 0.3

    adapt = json.loads((work / "1b-adapt" / "adapt_config.json").read_text())
    assert (adapt["model"], adapt["lambda_relu"], adapt["pack"], adapt["full_finetune"]) == \
        (str(smoke_model), 1.0, True, True)
    train = json.loads((work / "1b-bi" / "train" / "train_config.json").read_text())
    fields = ("variant", "data", "negatives", "lambda_q", "warmup_ratio")
    assert [train[name] for name in fields] == ["bi", "beir/scifact/train", 2, 3e-3, 0.05]
    assert train["hard_negatives"].endswith("data/train/bm25.trec")
    for model in ("1b-adapt/final", "1b-bi/train/final", "1b-bi/train/merged-2"):
        assert (work / model / "csplade_config.json").is_file(), model
    assert json.loads((work / "1b-bi/train/final/csplade_config.json").read_text())["variant"] == "bi"
    assert len(list((work / "1b-bi" / "encoded" / "vectors").iterdir())) == 2


def test_adapt_corpus_smoke_trains_an_encoder_for_a_corpus_without_queries(smoke_model, tmp_path, irds_home):
    import ir_datasets

    corpus = tmp_path / "corpus.jsonl"  # a user's corpus: title + text fields, no queries
    docs = ir_datasets.load("beir/scifact").docs_iter()[:60]
    corpus.write_text("".join(json.dumps({"id": d.doc_id, "title": d.title, "text": d.text}) + "\n"
                              for d in docs))
    work = tmp_path / "adapt"
    result = recipe("adapt-corpus.sh", corpus, WORK=work, BASE=smoke_model)
    curve = parse_table(result.stdout)  # the dev curve: steps 0, 1, 2
    assert list(curve) == ["0", "1", "2"] and all(0 <= score(row["dev_ndcg10"]) <= 1 for row in curve.values())
    kept = read_topics(work / "pseudo" / "kept" / "topics.tsv")
    generated = read_topics(work / "pseudo" / "generated" / "topics.tsv")
    assert kept and set(kept) <= set(generated)
    best = json.loads((work / "train" / "best" / "best.json").read_text())
    assert best["dev_ndcg10"] == max(score(row["dev_ndcg10"]) for row in curve.values())
    encoder = load_model(str(work / "train" / "best"))  # the shipped form: an adapter on the adaptation
    assert encoder.config.query_max_length == 256 and encoder.config.query_top_k == 64
    inference = json.loads((work / "inference.json").read_text())  # the document length, chosen on dev
    by_length = inference["dev_ndcg10_by_doc_length"]
    assert inference["step"] == best["step"] and set(by_length) == {"128", "64"}
    assert by_length["128"] == best["dev_ndcg10"]
    assert by_length[str(inference["doc_max_length"])] == max(by_length.values())
    fusion = json.loads((work / "fusion.json").read_text())
    assert fusion["method"] in ("rrf", "minmax") and len(fusion["grid"]) == 2
    chosen = work / "dev" / f"step-{best['step']:06d}-doc-{inference['doc_max_length']}.trec"
    assert read_run(chosen) and read_run(work / "dev" / "fused.trec")  # fused from the chosen length's run


def test_train_default_smoke_ships_a_preset(smoke_model, tmp_path):
    work, variants = tmp_path / "train-default", tmp_path / "variants"
    recipe("train-default.sh", WORK=work, BASE=smoke_model, VARIANTS_WORK=variants)  # none trained yet
    dev = read_topics(work / "split" / "dev-topics.tsv")
    train = json.loads((work / "adapt-corpus" / "train" / "train_config.json").read_text())
    trained_on = read_topics(train["queries"])
    assert len(dev) == 4 and not set(dev) & set(trained_on)  # the dev queries are held out
    assert set(read_topics(work / "split" / "fit-topics.tsv")) <= set(trained_on)

    preset = json.loads((work / "presets" / "csplade-mixed.json").read_text())
    assert preset["adapter"] == ["csplade-smollm2-135m/adapt", "csplade-smollm2-135m/train-csplade-mixed"]
    assert preset["metadata"]["configs"]["train"]["steps"] == 2 and preset["metadata"]["dev_curve"]
    default = json.loads((work / "presets" / "csplade.json").read_text())  # the only candidate so far
    assert default["metadata"]["chosen_on_dev"]["preset"] == "csplade-mixed"
    assert default["adapter"] == preset["adapter"] and default["config"] == preset["config"]
    folder = work / "presets" / "csplade-smollm2-135m"
    shipped = load_file(str(peft_directory(folder / "train-csplade-mixed") / WEIGHTS))  # packed: unpacked in the cache
    assert {t.dtype for t in shipped.values()} == {torch.bfloat16}
    for adapter in ("adapt", "train-csplade-mixed"):  # portable: no absolute path of this machine in what ships
        for name in ("adapter_config.json", "csplade_config.json"):
            text = (folder / adapter / name).read_text()
            assert str(tmp_path) not in text and "/root" not in text
    for fusion in (preset["fusion"], default["fusion"]):
        assert fusion["method"] in ("rrf", "minmax") and "dev_ndcg10" in fusion

    # the preset (base + both bf16 adapters, merged in order) encodes like the best dev checkpoint
    texts = [json.loads(line)["contents"] for line in
             (work / "data" / "corpus" / "docs.jsonl").read_text().splitlines()[:8]]
    lm, tokenizer, config = load_preset(Preset.read(work / "presets" / "csplade.json"), torch.float32, "cpu")
    from_preset = CspladeModel(lm, tokenizer, config).weights(texts, "doc")
    length = json.loads((work / "adapt-corpus" / "inference.json").read_text())["doc_max_length"]
    assert config.doc_max_length == length  # the document length chosen on dev
    trained = load_model(str(work / "adapt-corpus" / "train" / "best"), doc_max_length=length).weights(texts, "doc")
    assert config.query_top_k == 64 and config.doc_top_k == 256
    assert torch.allclose(from_preset, trained, atol=2e-2)

    # recipes/variants.sh: a variant trained from the same adaptation ships as its own preset beside it
    table = parse_table(recipe("variants.sh", "bi", DEFAULT=work, WORK=variants, BASE=smoke_model).stdout)
    assert table["bi"]["start"] == "adapted" and 0 <= score(table["bi"]["test nDCG@10"])
    bi = json.loads((work / "presets" / "csplade-bi.json").read_text())
    assert bi["adapter"] == ["csplade-smollm2-135m/adapt", "csplade-smollm2-135m/train-csplade-bi"]
    assert "fusion" not in bi and bi["description"].endswith("bi on both sides")
    _, _, config = load_preset(Preset.read(work / "presets" / "csplade-bi.json"), torch.float32, "cpu")
    assert config.variant == config.query_variant == "bi"
    assert config.doc_max_length == length  # encoded like the default, at the length chosen on dev
    assert set(bi["metadata"]["dev_ndcg10_by_doc_length"]) == {str(train["doc_max_length"]), str(length)}
    assert 0 <= score(table["bi"]["dev nDCG@10 (doc tokens)"].split()[0])

    # then the default is chosen again on dev, among csplade-mixed and the variant, and tested once
    choice = json.loads((work / "default" / "choice.json").read_text())
    assert {c["preset"] for c in choice["candidates"]} == {"csplade-mixed", "csplade-bi"}
    eligible = [c for c in choice["candidates"] if c["input_tokens"] <= choice["budget_tokens"] == length]
    assert choice["dev_ndcg10"] == max(c["dev_ndcg10"] for c in eligible)
    default = json.loads((work / "presets" / "csplade.json").read_text())
    chosen = json.loads((work / "presets" / f"{choice['preset']}.json").read_text())
    assert default["adapter"] == chosen["adapter"] and default["config"]["doc_max_length"] == choice["doc_max_length"]
    assert default["metadata"]["chosen_on_dev"] == choice and "nDCG@10" in \
        default["metadata"]["scifact_test"]["runs"][0]["scores"]

    # train-default.sh again: every stage is done, and the default is still chosen among the variants too
    subprocess.run([sys.executable, str(RECIPES / "record_preset.py"), str(work / "presets" / "csplade-mixed.json"),
                    str(work / "default" / "quickstart" / "report.json")], check=True)  # as if tested
    mixed = json.loads((work / "presets" / "csplade-mixed.json").read_text())
    assert "scifact_test" in mixed["metadata"]
    recipe("train-default.sh", WORK=work, BASE=smoke_model, VARIANTS_WORK=variants)
    again = json.loads((work / "default" / "choice.json").read_text())
    assert again == choice and (work / "default" / "quickstart" / "report.json").is_file()
    assert json.loads((work / "presets" / "csplade.json").read_text()) == default  # its test scores kept
    assert json.loads((work / "presets" / "csplade-mixed.json").read_text()) == mixed  # the same model, shipped again

    # recipes/ablations.sh: the earlier recipes trained from the same adaptation, and the supervised one from
    # the raw model, their dev curves in one table
    printed = recipe("ablations.sh", DEFAULT=work, BASE=smoke_model).stdout
    curves = (work / "ablations" / "curves.md").read_text()
    for row in ("supervised", "distilled", "raw"):
        assert json.loads((work / "ablations" / row / "best" / "best.json").read_text())["step"] in (0, 1, 2)
        assert row in curves
    assert "pseudo" in curves and curves in printed
    start = {row: Path(json.loads((work / "ablations" / row / "train_config.json").read_text())["model"]).resolve()
             for row in ("supervised", "raw")}
    assert start == {"supervised": (work / "adapt-corpus" / "adapt" / "adapter").resolve(),
                     "raw": smoke_model.resolve()}
    unknown = recipe("ablations.sh", "mntp", DEFAULT=work, BASE=smoke_model, check=False)
    assert unknown.returncode == 2 and unknown.stderr.strip().splitlines()[-1].endswith(
        "unknown row mntp (supervised, distilled, raw)")


def test_every_csplade_flag_in_the_recipes_exists():
    """Static check of the lines smoke mode cannot reach (e.g. SIZE=8b values)."""
    from csplade_pyserini.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    scripts = sorted(RECIPES.rglob("*.sh"))
    checked = 0
    for script in scripts:
        text = script.read_text().replace("\\\n", " ")
        for line in text.splitlines():
            match = re.search(r"-m csplade_pyserini ([a-z-]+)(.*)", line)
            if not match:
                continue
            options = commands[match.group(1)]._option_string_actions
            for flag in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", match.group(2)):
                assert flag in options, f"{script.name}: csplade {match.group(1)} has no {flag}"
                checked += 1
    tuning = re.findall(r"ADAPT_TUNING:=(--[a-z-]+)", (RECIPES / "msmarco-passage" / "config.sh").read_text())
    assert sorted(tuning) == ["--full-finetune", "--no-full-finetune"]
    assert all(flag in commands["adapt"]._option_string_actions for flag in tuning)
    assert checked > 50


def test_train_doc_smoke_ships_an_inference_free_preset(smoke_model, tmp_path, monkeypatch):
    work = tmp_path / "train-doc"
    (work / "presets").mkdir(parents=True)
    previous = {"preset": "smoke-start", "doc_max_length": 64, "input_tokens": 64, "dev_ndcg10": -1.0,
                "dev_run": "gone.trec"}  # a shipped default that loses on dev
    (work / "presets" / "csplade.json").write_text(json.dumps(
        {"model": "smoke-start", "metadata": {"chosen_on_dev": {**previous, "budget_tokens": 128,
                                                                "candidates": [previous]}}}))
    result = recipe("train-doc.sh", WORK=work, BASE=smoke_model)
    monkeypatch.setenv("CSPLADE_ENCODERS", str(work / "presets"))  # the start preset the recipe trained on
    curve = parse_table(result.stdout)  # step 0 is the start's documents with table queries
    assert list(curve) == ["0", "1", "2"] and all(0 <= score(row["dev_ndcg10"]) <= 1 for row in curve.values())
    presets = work / "presets"
    preset = json.loads((presets / "csplade-doc.json").read_text())
    assert preset["adapter"] == ["csplade-smollm2-135m/train-csplade-doc"]
    assert preset["fusion"]["method"] in ("rrf", "minmax") and preset["metadata"]["start"] == "smoke-start"
    default = json.loads((presets / "csplade.json").read_text())  # csplade-doc won on dev: the new default
    assert default["adapter"] == preset["adapter"] and default["metadata"]["chosen_on_dev"]["preset"] == "csplade-doc"
    candidates = default["metadata"]["chosen_on_dev"]["candidates"]  # csplade-doc at both inference lengths
    assert [(c["preset"], c["doc_max_length"]) for c in candidates] == [
        ("smoke-start", 64), ("csplade-doc", 128), ("csplade-doc", 64)]
    assert default["config"]["doc_max_length"] == default["metadata"]["chosen_on_dev"]["doc_max_length"]
    shipped = presets / "csplade-smollm2-135m" / "train-csplade-doc"
    assert (shipped / "query_table.safetensors").is_file() and str(tmp_path) not in (
        shipped / "adapter_config.json").read_text()
    queries = ["cell death in cancer", "vaccine antibody response"]
    best = load_model(str(work / "train" / "best"))
    lm, tokenizer, config = load_preset(Preset.read(presets / "csplade-doc.json"), torch.float32, "cpu")
    assert config.inference_free
    from_preset = load_model(str(shipped))  # the adapter directory alone, its base found through the chain
    assert from_preset.encode_impacts(queries, "query") == best.encode_impacts(queries, "query")
    texts = [json.loads(line)["contents"] for line in (work / "corpus" / "docs.jsonl").read_text().splitlines()[:4]]
    assert torch.allclose(CspladeModel(lm, tokenizer, config, from_preset.query_table).weights(texts, "doc"),
                          best.weights(texts, "doc"), atol=2e-2)
