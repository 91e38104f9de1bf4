#!/usr/bin/env bash
# Trains the default `csplade` encoder shipped in encoders/: SmolLM2-135M-Instruct + two LoRA adapters,
# on BEIR SciFact train with BM25 hard negatives made through Pyserini, entirely on CPU (see the README's
# Training section for the time it takes on 2 cores).
#
#   bash recipes/train-default.sh              # then: bash recipes/quickstart.sh --force (evaluates it)
#   bash recipes/train-default.sh --control    # also the control run from the raw model, and both curves
#   bash recipes/train-default.sh --record runs/quickstart/report.json   # store its scores in the preset
#
# Stages (each is skipped when its output exists):
#   1. data: SciFact corpus, train topics and qrels (ir_datasets), a BM25 index and a top-100 BM25 run for
#      the train queries (the hard-negative pool), all through Pyserini.
#   2. adapt: `csplade adapt` (L_CLM + 1.0 * L_ReLU, LoRA) on the SciFact corpus text.
#   3. train: `csplade train` (InfoNCE over in-batch + 1 BM25 negative, FLOPS, LoRA) from the adapted
#      model: documents `causal`, queries `echo` (query_variant); top-k kept in the training forward.
#      --control runs the same command from the raw model into WORK/train-raw and prints
#      `csplade curves` of both runs (zero-vector shares, terms, accuracy, ranking loss).
#   4. ship: both adapters (saved in bfloat16, <= 15 MB together) into PRESET_DIR/csplade-smollm2-135m/
#      and PRESET_DIR/csplade.json with the exact configs of stages 2 and 3.
#
# Variables (defaults): WORK=runs/train-default  BASE=smollm2-135m  ADAPT_STEPS=150  TRAIN_STEPS=300
#   PRESET_DIR=encoders  SMOKE=1: a tiny random model, a slice of SciFact and 2 steps per stage, to check
#   the commands (its preset goes to WORK/presets, not encoders/).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CONTROL=0
case ${1:-} in
  --record) "$PY" recipes/record_preset.py "${PRESET_DIR:-encoders}/csplade.json" "$2"; exit 0 ;;
  --control) CONTROL=1 ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "train-default.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac

if [ "$SMOKE" = 1 ]; then
  : "${WORK:=runs/train-default-smoke}" "${ADAPT_STEPS:=2}" "${TRAIN_STEPS:=2}" "${PRESET_DIR:=$WORK/presets}"
  : "${BASE:=$(smoke_model "$WORK/smoke-model")}"
  SIZES=(--seq-length 32 --batch-size 2)
  LENGTHS=(--query-max-length 16 --doc-max-length 32 --batch-size 2)
else
  SIZES=(--seq-length 256 --batch-size 4)
  LENGTHS=(--query-max-length 32 --doc-max-length 128 --batch-size 8)
fi
WORK=${WORK:-runs/train-default}
BASE=${BASE:-smollm2-135m}
ADAPT_STEPS=${ADAPT_STEPS:-150}
TRAIN_STEPS=${TRAIN_STEPS:-300}
PRESET_DIR=${PRESET_DIR:-encoders}
DATA=$WORK/data
mkdir -p "$WORK"
irds_home "$WORK"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}

say "1/4 data: SciFact corpus, train topics + qrels, BM25 index and run (Pyserini)"
export_data beir/scifact/train "$DATA" 16 300
[ -d "$WORK/bm25" ] || "$PY" -m csplade_pyserini index --bm25 "$DATA/corpus" "$WORK/bm25" --quiet
if [ ! -f "$WORK/bm25-train.trec" ]; then
  "$PY" -m pyserini.search.lucene --index "$WORK/bm25" --topics "$DATA/topics.tsv" \
    --output "$WORK/bm25-train.trec.tmp" --bm25 --hits 100
  finish_run "$WORK/bm25-train.trec"
fi

say "2/4 adapt: L_CLM + L_ReLU on the SciFact corpus ($ADAPT_STEPS steps)"
if [ ! -d "$WORK/adapt/final" ]; then
  "$PY" -m csplade_pyserini adapt --model "$BASE" --corpus "$DATA/corpus" --output-dir "$WORK/adapt" \
    --steps "$ADAPT_STEPS" "${SIZES[@]}" --grad-accumulation 1 --learning-rate 2e-4 --warmup-steps 10 \
    --lambda-relu 1.0 --lora-r 8 --lora-dropout 0 --save-every 50 --probe-every 25 --probe-docs 16 --resume
fi

# train START OUTPUT: the contrastive stage (the same flags from the adapted and, for --control, the raw model)
train() {
  [ -d "$2/final" ] && return
  "$PY" -m csplade_pyserini train --model "$1" --queries "$DATA/topics.tsv" --corpus "$DATA/corpus" \
    --qrels "$DATA/qrels.txt" --hard-negatives "$WORK/bm25-train.trec" --negatives-depth 30 \
    --output-dir "$2" --variant causal --query-variant echo --steps "$TRAIN_STEPS" "${LENGTHS[@]}" \
    --negatives 1 --learning-rate 3e-4 --warmup-steps 10 --temperature 5 --lambda-q 5e-4 --lambda-d 5e-4 \
    --flops-warmup 100 --train-query-top-k 32 --train-doc-top-k 256 --query-top-k 64 --doc-top-k 256 \
    --lora-r 16 --lora-dropout 0 --save-every 50 --keep-checkpoints 1 --resume
}
say "3/4 train: contrastive from the adapted model, causal documents + echo queries ($TRAIN_STEPS steps)"
train "$WORK/adapt" "$WORK/train"
if [ "$CONTROL" = 1 ]; then
  say "3/4 control: the same contrastive run from the raw model"
  train "$BASE" "$WORK/train-raw"
  "$PY" -m csplade_pyserini curves adapted="$WORK/train" raw="$WORK/train-raw" --window 10 \
    --keys q_zero d_zero q_terms d_terms acc rank
fi

say "4/4 ship: adapters and preset into $PRESET_DIR"
"$PY" recipes/record_preset.py "$PRESET_DIR/csplade.json" --adapt "$WORK/adapt" --train "$WORK/train" \
  --base "$BASE" --seconds "$SECONDS"
