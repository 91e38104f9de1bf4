#!/usr/bin/env bash
# Trains the default `csplade` encoder shipped in encoders/: SmolLM2-135M-Instruct + LoRA adapters,
# on BEIR SciFact train with BM25 hard negatives made through Pyserini, entirely on CPU: about 35 minutes
# on 2 CPU cores (adaptation 30 steps x ~28 s, contrastive 40 steps x ~27 s).
#
#   bash recipes/train-default.sh            # then: bash recipes/quickstart.sh (evaluates it)
#
# Stages (each is skipped when its output exists; WORK=runs/train-default by default):
#   1. data: SciFact corpus + train topics (ir_datasets), a BM25 index and a top-100 BM25 run for the
#      train queries (the hard negatives), all through Pyserini.
#   2. adapt: `csplade adapt` (L_CLM + 1.0 * L_ReLU, LoRA r4) on the SciFact corpus text.
#   3. train: `csplade train` (InfoNCE + FLOPS, LoRA r8) from the adapted model: documents `causal`,
#      queries `echo` (query_variant), top-k kept in the training forward (queries 16, documents 256).
#   4. ship: copy both adapters (<= 15 MB together) into encoders/csplade-smollm2-135m/ and write
#      encoders/csplade.json with the exact configs of stages 2 and 3.
# Evaluate with `bash recipes/quickstart.sh`, then record its nDCG@10 in the preset's metadata with
#   bash recipes/train-default.sh --record runs/quickstart/report.json
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

WORK=${WORK:-runs/train-default}
ADAPT_STEPS=${ADAPT_STEPS:-30}
TRAIN_STEPS=${TRAIN_STEPS:-40}
PRESET_DIR=${PRESET_DIR:-encoders}
mkdir -p "$WORK"
irds_home "$WORK"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}

if [ "${1:-}" = "--record" ]; then
  "$PY" recipes/record_preset.py "$PRESET_DIR/csplade.json" "$2"
  exit 0
fi

say "1/4 data: SciFact corpus, train topics, BM25 index and run (Pyserini)"
[ -f "$WORK/corpus/docs.jsonl" ] || "$PY" -m csplade_pyserini corpus beir/scifact --output "$WORK/corpus"
[ -f "$WORK/train-topics.tsv" ] || "$PY" -m csplade_pyserini topics beir/scifact/train --output "$WORK/train-topics.tsv"
[ -d "$WORK/bm25" ] || "$PY" -m csplade_pyserini index --bm25 "$WORK/corpus" "$WORK/bm25" --quiet
if [ ! -f "$WORK/bm25-train.trec" ]; then
  "$PY" -m pyserini.search.lucene --index "$WORK/bm25" --topics "$WORK/train-topics.tsv" \
    --output "$WORK/bm25-train.trec.tmp" --bm25 --hits 100
  finish_run "$WORK/bm25-train.trec"
fi

say "2/4 adapt: L_CLM + L_ReLU on SciFact text ($ADAPT_STEPS steps)"
if [ ! -d "$WORK/adapt/final" ]; then
  "$PY" -m csplade_pyserini adapt --model smollm2-135m --corpus "$WORK/corpus" --output-dir "$WORK/adapt" \
    --steps "$ADAPT_STEPS" --seq-length 256 --batch-size 4 --grad-accumulation 1 --learning-rate 1e-4 \
    --warmup-steps 4 --lambda-relu 1.0 --lora-r 4 --lora-dropout 0 --save-every 20 --probe-every 10 \
    --probe-docs 16 --resume
fi

say "3/4 train: contrastive, causal documents + echo queries ($TRAIN_STEPS steps)"
if [ ! -d "$WORK/train/adapter" ]; then
  "$PY" -m csplade_pyserini train --model "$WORK/adapt" --data beir/scifact/train \
    --hard-negatives "$WORK/bm25-train.trec" --negatives-depth 30 --output-dir "$WORK/train" \
    --variant causal --query-variant echo --steps "$TRAIN_STEPS" --batch-size 8 --negatives 1 \
    --learning-rate 5e-5 --warmup-steps 5 --temperature 10 --lambda-q 1e-3 --lambda-d 1e-3 \
    --flops-warmup 20 --train-query-top-k 16 --train-doc-top-k 256 --query-top-k 16 --doc-top-k 256 \
    --query-max-length 32 --doc-max-length 128 --lora-r 8 --lora-dropout 0 --save-every 20 \
    --keep-checkpoints 0 --resume
fi

say "4/4 ship: adapters and preset into $PRESET_DIR"
"$PY" recipes/record_preset.py "$PRESET_DIR/csplade.json" --adapt "$WORK/adapt" --train "$WORK/train" \
  --seconds "$SECONDS"
