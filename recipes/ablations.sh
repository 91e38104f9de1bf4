#!/usr/bin/env bash
# The dev ablations of docs/training.md: the previous supervised recipe and "+ distillation", each trained
# from the default's adaptation adapter with the same schedule, against the default's own training
# (+ distillation + pseudo-queries), and the supervised recipe from the raw model (is the adaptation what
# lets contrastive training of a causal LM work?). Reads what train-default.sh left in DEFAULT
# (adapt-corpus/: adaptation, corpus, BM25 index, dev split; split/: the fit queries); ships nothing and
# never reads SciFact test.
#
#   bash recipes/ablations.sh [ROW...]   # after recipes/train-default.sh; default: all three rows
#
# Rows (WORK/ROW: dev nDCG@10 every ABLATION_DEV_EVERY steps, the best checkpoint kept, exact resume):
#   supervised  709 fit queries, 1 BM25 top-30 negative each, InfoNCE (the recipe before the teacher)
#   distilled   the same queries, 2 teacher negatives, InfoNCE + listwise KL from the BM25 + MiniLM teacher
#   raw         supervised, from the raw model BASE instead of the adaptation
# then one table of the dev curves of the rows trained so far, beside the default's (WORK/curves.md).
# Variables (defaults): DEFAULT=runs/train-default  WORK=DEFAULT/ablations  ABLATION_STEPS=300
#   ABLATION_DEV_EVERY=100  BATCH=8  DENSE_MODEL=all-minilm-l6-v2 (the teacher's, as adapt-corpus.sh's)
#   BASE=smollm2-135m (the raw start)  SMOKE=1: with train-default.sh's smoke output, 2 steps.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

case ${1:-} in
  -h | --help) usage; exit 0 ;;
esac
if [ $# -gt 0 ]; then ROWS=("$@"); else ROWS=(supervised distilled raw); fi
if [ "$SMOKE" = 1 ]; then
  : "${DEFAULT:=runs/train-default-smoke}" "${ABLATION_STEPS:=2}" "${ABLATION_DEV_EVERY:=1}" "${BATCH:=2}"
  : "${BASE:=$DEFAULT/adapt-corpus/smoke-model}"  # adapt-corpus.sh's smoke model
fi
DEFAULT=${DEFAULT:-runs/train-default}
WORK=${WORK:-$DEFAULT/ablations}
RUN=$DEFAULT/adapt-corpus
SPLIT=$DEFAULT/split
NEEDED=("$RUN/bm25" "$RUN/dev/corpus" "$SPLIT/fit-topics.tsv")
for row in "${ROWS[@]}"; do
  case $row in
    supervised | distilled) NEEDED+=("$RUN/adapt/adapter") ;;
    raw) ;;
    *) echo "ablations.sh: unknown row $row (supervised, distilled, raw)" >&2; exit 2 ;;
  esac
done
for needed in "${NEEDED[@]}"; do
  [ -e "$needed" ] || { echo "ablations.sh: $needed is missing (run recipes/train-default.sh first)" >&2; exit 2; }
done
mkdir -p "$WORK"
FIT=(--topics "$SPLIT/fit-topics.tsv" --qrels "$SPLIT/fit-qrels.txt")
COMMON=(--config recipes/configs/csplade-train.yaml --corpus "$RUN/corpus" --steps "${ABLATION_STEPS:-300}"
        --batch-size "${BATCH:-8}" --doc-max-length 128 --resume
        --dev-topics "$RUN/dev/dev-topics.tsv" --dev-qrels "$RUN/dev/dev-qrels.txt" --dev-corpus "$RUN/dev/corpus"
        --dev-every "${ABLATION_DEV_EVERY:-100}")

bm25_negatives() {  # the supervised recipe's negatives: BM25 top 30 of the fit queries
  [ -f "$WORK/bm25-fit.trec" ] && return
  "$PY" -m pyserini.search.lucene --index "$RUN/bm25" --topics "$SPLIT/fit-topics.tsv" \
    --output "$WORK/bm25-fit.trec.tmp" --bm25 --hits 100
  finish_run "$WORK/bm25-fit.trec"
}

for row in "${ROWS[@]}"; do
  case $row in
    supervised | raw)
      if [ "$row" = raw ]; then start=${BASE:-smollm2-135m}; else start=$RUN/adapt/adapter; fi
      say "$row: the fit queries, BM25 negatives, InfoNCE, from $start"
      bm25_negatives
      [ -d "$WORK/$row/final" ] || "$PY" -m csplade_pyserini train --model "$start" "${COMMON[@]}" "${FIT[@]}" \
        --hard-negatives "$WORK/bm25-fit.trec" --negatives-depth 30 --negatives 1 --output-dir "$WORK/$row" ;;
    distilled)
      say "distilled: the same queries, teacher negatives, InfoNCE + listwise KL"
      [ -f "$WORK/fit-teacher.jsonl" ] || "$PY" -m csplade_pyserini teach "${FIT[@]}" --corpus "$RUN/corpus" \
        --bm25-index "$RUN/bm25" --dense-model "${DENSE_MODEL:-all-minilm-l6-v2}" --output "$WORK/fit-teacher.jsonl"
      [ -d "$WORK/distilled/final" ] || "$PY" -m csplade_pyserini train --model "$RUN/adapt/adapter" "${COMMON[@]}" \
        "${FIT[@]}" --teacher-scores "$WORK/fit-teacher.jsonl" --distill kl --teacher-temperature 0.1 \
        --negatives-depth 30 --negatives 2 --output-dir "$WORK/distilled" ;;
  esac
done

say "curves: dev nDCG@10 against steps, beside the default's training (+ pseudo-queries) when it is there"
CURVES=()
for row in supervised distilled raw; do
  [ -d "$WORK/$row/final" ] && CURVES+=("$row=$WORK/$row")
done
[ -d "$RUN/train" ] && CURVES+=("pseudo=$RUN/train")
"$PY" -m csplade_pyserini curves "${CURVES[@]}" --window 1 --keys dev_ndcg10 dev_r100 | tee "$WORK/curves.md"
