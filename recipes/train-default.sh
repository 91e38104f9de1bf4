#!/usr/bin/env bash
# Trains the `csplade-mixed` encoder shipped in encoders/ on 2 CPU cores: SmolLM2-135M-Instruct + two LoRA
# adapters (ECHO queries over causal documents), adapted to the SciFact corpus (recipes/adapt-corpus.sh: pseudo-queries, a BM25 + MiniLM
# teacher, distillation) plus the judged SciFact *train* queries. SciFact test is never read.
#
#   bash recipes/train-default.sh               # then: bash recipes/quickstart.sh --force (evaluates it)
#   bash recipes/train-default.sh --ablations   # also the dev ablations of docs/training.md: the previous
#                                               # supervised recipe and + distillation, from the same adaptation
#
# Stages (each is skipped when its output exists; the training itself resumes):
#   1. data: SciFact corpus, train topics and qrels (ir_datasets).
#   2. split: 100 train queries held out for dev (seed 0), the rest to fit on.
#   3. adapt-corpus.sh with the fit queries as extra judged queries: BM25 index, teacher scores,
#      pseudo-queries + round-trip filter, adaptation, contrastive training with distillation and dev
#      nDCG@10 every DEV_EVERY steps, the best dev checkpoint kept, fusion with BM25 tuned on dev.
#   4. ship: the adaptation and the best contrastive adapter (bf16, <= 15 MB) into PRESET_DIR/csplade-mixed.json;
#      the default `csplade` is the best preset on dev within this encoder's encoding cost (WORK/default/:
#      csplade-mixed until recipes/variants.sh has trained the paper's variants and chosen again).
#
# Variables (defaults): WORK=runs/train-default  PRESET_DIR=encoders, and those of adapt-corpus.sh (its
#   INFER_LENGTHS: the document lengths the preset may encode with, the best on dev chosen)
#   (STEPS, DEV_EVERY, ...). SMOKE=1: a tiny random model and a slice of SciFact (preset in WORK/presets).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ABLATIONS=0
case ${1:-} in
  --ablations) ABLATIONS=1 ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "train-default.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac

if [ "$SMOKE" = 1 ]; then
  : "${WORK:=runs/train-default-smoke}" "${PRESET_DIR:=$WORK/presets}" "${DEV_QUERIES:=4}"
else
  : "${DEV_QUERIES:=100}"
fi
WORK=${WORK:-runs/train-default}
PRESET_DIR=${PRESET_DIR:-encoders}
DATA=$WORK/data
mkdir -p "$WORK"
irds_home "$WORK"

say "1/4 data: SciFact corpus, train topics + qrels"
export_data beir/scifact/train "$DATA" 16 300

say "2/4 split: $DEV_QUERIES train queries held out for dev"
[ -f "$WORK/split/dev-topics.tsv" ] || "$PY" -m csplade_pyserini split --topics "$DATA/topics.tsv" \
  --qrels "$DATA/qrels.txt" --dev-queries "$DEV_QUERIES" --seed 0 --output "$WORK/split"

say "3/4 adapt the encoder to the SciFact corpus (recipes/adapt-corpus.sh)"
SPLIT=$WORK/split
TOPICS=$SPLIT/fit-topics.tsv QRELS=$SPLIT/fit-qrels.txt DEV_TOPICS=$SPLIT/dev-topics.tsv \
  DEV_QRELS=$SPLIT/dev-qrels.txt WORK=$WORK/adapt-corpus bash recipes/adapt-corpus.sh "$DATA/corpus"

if [ "$ABLATIONS" = 1 ]; then
  say "ablations on the dev split (docs/training.md): each a training from the same adaptation"
  RUN=$WORK/adapt-corpus
  DEV=(--dev-topics "$RUN/dev/dev-topics.tsv" --dev-qrels "$RUN/dev/dev-qrels.txt" --dev-corpus "$RUN/dev/corpus"
       --dev-every "${ABLATION_DEV_EVERY:-100}")
  COMMON=(--model "$RUN/adapt/adapter" --corpus "$RUN/corpus" --variant causal --query-variant echo
          --steps "${ABLATION_STEPS:-300}" --batch-size "${BATCH:-8}" --query-max-length 256 --doc-max-length 128
          --learning-rate 3e-4 --warmup-steps 20 --temperature 5 --lambda-q 5e-4 --lambda-d 5e-4
          --flops-warmup 100 --train-query-top-k 32 --train-doc-top-k 256 --query-top-k 64 --doc-top-k 256
          --lora-r 16 --lora-dropout 0 --save-every 50 --keep-checkpoints 1 --resume "${DEV[@]}")
  if [ ! -f "$WORK/ablations/bm25-fit.trec" ]; then  # the previous recipe's negatives: BM25 top 30
    mkdir -p "$WORK/ablations"
    "$PY" -m pyserini.search.lucene --index "$RUN/bm25" --topics "$SPLIT/fit-topics.tsv" \
      --output "$WORK/ablations/bm25-fit.trec.tmp" --bm25 --hits 100
    finish_run "$WORK/ablations/bm25-fit.trec"
  fi
  [ -d "$WORK/ablations/supervised/final" ] || "$PY" -m csplade_pyserini train "${COMMON[@]}" \
    --queries "$SPLIT/fit-topics.tsv" --qrels "$SPLIT/fit-qrels.txt" --hard-negatives "$WORK/ablations/bm25-fit.trec" \
    --negatives-depth 30 --negatives 1 --output-dir "$WORK/ablations/supervised"
  [ -f "$WORK/ablations/fit-teacher.jsonl" ] || "$PY" -m csplade_pyserini teach --queries "$SPLIT/fit-topics.tsv" \
    --qrels "$SPLIT/fit-qrels.txt" --corpus "$RUN/corpus" --bm25-index "$RUN/bm25" --output "$WORK/ablations/fit-teacher.jsonl"
  [ -d "$WORK/ablations/distilled/final" ] || "$PY" -m csplade_pyserini train "${COMMON[@]}" \
    --queries "$SPLIT/fit-topics.tsv" --qrels "$SPLIT/fit-qrels.txt" --teacher-scores "$WORK/ablations/fit-teacher.jsonl" \
    --distill kl --teacher-temperature 0.1 --negatives-depth 30 --negatives 2 --output-dir "$WORK/ablations/distilled"
  "$PY" -m csplade_pyserini curves supervised="$WORK/ablations/supervised" distilled="$WORK/ablations/distilled" \
    pseudo="$RUN/train" --window 1 --keys dev_ndcg10 dev_r100
fi

say "4/4 ship: adapters and the csplade-mixed preset into $PRESET_DIR, and the default csplade chosen on dev"
"$PY" recipes/record_preset.py "$PRESET_DIR/csplade-mixed.json" --run "$WORK/adapt-corpus" \
  --base "${BASE:-smollm2-135m}" --seconds "$SECONDS"
ship_default "$PRESET_DIR" "$WORK/adapt-corpus" "$WORK/default"
