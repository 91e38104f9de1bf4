#!/usr/bin/env bash
# Trains the `csplade-mixed` encoder shipped in encoders/ on 2 CPU cores: SmolLM2-135M-Instruct + two LoRA
# adapters (ECHO queries over causal documents), adapted to the SciFact corpus (recipes/adapt-corpus.sh: pseudo-queries, a BM25 + MiniLM
# teacher, distillation) plus the judged SciFact *train* queries. SciFact test is never read.
#
#   bash recipes/train-default.sh   # then: recipes/variants.sh (the paper's variants, the default chosen
#                                   # again), recipes/ablations.sh (the dev ablations of docs/training.md)
#
# Stages (each is skipped when its output exists; the training itself resumes):
#   1. data: SciFact corpus, train topics and qrels (ir_datasets).
#   2. split: 100 train queries held out for dev (seed 0), the rest to fit on.
#   3. adapt-corpus.sh with the fit queries as extra judged queries: BM25 index, teacher scores,
#      pseudo-queries + round-trip filter, adaptation, contrastive training with distillation and dev
#      nDCG@10 every DEV_EVERY steps, the best dev checkpoint kept, fusion with BM25 tuned on dev.
#   4. ship: the adaptation and the best contrastive adapter (bf16, <= 15 MB) into PRESET_DIR/csplade-mixed.json;
#      the default `csplade` is the best preset on dev within this encoder's encoding cost (WORK/default/),
#      among csplade-mixed and the variants recipes/variants.sh trained in VARIANTS_WORK from this adaptation
#      (none on a first run: then `bash recipes/quickstart.sh --force` tests the new default).
#
# Variables (defaults): WORK=runs/train-default  PRESET_DIR=encoders  VARIANTS_WORK=runs/variants (empty:
#   csplade-mixed only), and those of adapt-corpus.sh (its
#   INFER_LENGTHS: the document lengths the preset may encode with, the best on dev chosen)
#   (STEPS, DEV_EVERY, ...). SMOKE=1: a tiny random model and a slice of SciFact (preset in WORK/presets).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

no_arguments "$@"

if [ "$SMOKE" = 1 ]; then
  : "${WORK:=runs/train-default-smoke}" "${PRESET_DIR:=$WORK/presets}" "${DEV_QUERIES:=4}"
  : "${VARIANTS_WORK=runs/variants-smoke}"
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

say "4/4 ship: adapters and the csplade-mixed preset into $PRESET_DIR, and the default csplade chosen on dev"
"$PY" recipes/record_preset.py "$PRESET_DIR/csplade-mixed.json" --run "$WORK/adapt-corpus" \
  --base "${BASE:-smollm2-135m}"
ship_default "$PRESET_DIR" "$WORK/adapt-corpus" "$WORK/default" "${VARIANTS_WORK-runs/variants}"
