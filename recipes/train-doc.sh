#!/usr/bin/env bash
# Trains the inference-free `csplade-doc` encoder shipped in encoders/ on 2 CPU cores: the documents of a shipped
# preset (START, csplade-echo) trained further, with a new LoRA adapter, against queries that need no model (a
# query is its own tokens weighted by BM25's IDF over the corpus: csplade query-table), with the BM25 + MiniLM
# teacher's distillation on the judged SciFact *train* queries. SciFact test is never read.
#
#   bash recipes/train-doc.sh      # then: ENCODER=csplade-doc bash recipes/quickstart.sh (SciFact test)
#
# Stages (each is skipped when its output exists; the training resumes):
#   1. data: SciFact corpus, train topics and qrels; 100 train queries held out for dev (seed 0, as
#      train-default.sh's split); the corpus as {id, contents} JSONL and its BM25 index.
#   2. teacher: BM25 + all-MiniLM-L6-v2 scores of the dev and fit queries' candidates; the dev corpus
#      (judged documents, teacher candidates and random ones: DEV_DOCS).
#   3. table: csplade query-table, IDF over the corpus, tokenized as START's documents.
#   4. train: csplade train --query-encoder table (documents alone through the LM, FLOPS on documents),
#      dev nDCG@10 every DEV_EVERY steps (step 0: START's documents with table queries), the best kept.
#   5. ship: the best step's dev nDCG@10 at each of INFER_LENGTHS (WORK/dev-doc-LENGTH.{trec,json}), the
#      fusion with BM25 tuned on each (csplade fuse --tune), and the preset PRESET_DIR/csplade-doc.json at its
#      best length on dev (START's adapters + this one + its table, <= 15 MB).
#   6. default: recipes/choose_default.py against the candidates the shipped default `csplade` was chosen
#      among (same dev split, same encoding budget: the quickstart's 30 minutes); if a csplade-doc length wins
#      on dev it becomes the default with that length's fusion (then `bash recipes/quickstart.sh --force`
#      tests it).
#
# Variables (defaults): WORK=runs/train-doc  START=csplade-echo  PRESET_DIR=encoders  STEPS=150
#   DEV_EVERY=50  DEV_DOCS=700  LR=2e-4  LORA_R=8  DOC_LENGTH=128  BATCH=8  INFER_LENGTHS="128 256"
#   SMOKE=1: a tiny random model (BASE) as START's preset, a slice of SciFact, 2 steps.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

no_arguments "$@"

if [ "$SMOKE" = 1 ]; then
  : "${WORK:=runs/train-doc-smoke}" "${STEPS:=2}" "${DEV_EVERY:=1}" "${DEV_DOCS:=40}" "${BATCH:=2}"
  : "${PRESET_DIR:=$WORK/presets}" "${DEV_QUERIES:=4}" "${INFER_LENGTHS:=128 64}"
  mkdir -p "$PRESET_DIR"
  : "${BASE:=$(smoke_model "$WORK/smoke-model")}"
  [ -f "$PRESET_DIR/smoke-start.json" ] || "$PY" recipes/smoke.py preset "$PRESET_DIR/smoke-start.json" "$BASE"
  : "${START:=smoke-start}"
  export CSPLADE_ENCODERS=$PRESET_DIR
fi
WORK=${WORK:-runs/train-doc}
START=${START:-csplade-echo}
PRESET_DIR=${PRESET_DIR:-encoders}
STEPS=${STEPS:-150}
DEV_EVERY=${DEV_EVERY:-50}
DEV_DOCS=${DEV_DOCS:-700}
DEV_QUERIES=${DEV_QUERIES:-100}
LR=${LR:-2e-4}
LORA_R=${LORA_R:-8}
DOC_LENGTH=${DOC_LENGTH:-128}
BATCH=${BATCH:-8}
INFER_LENGTHS=${INFER_LENGTHS:-$DOC_LENGTH 256}
DATA=$WORK/data CORPUS=$WORK/corpus SPLIT=$WORK/split DEV=$WORK/dev
mkdir -p "$WORK" "$DEV"
irds_home "$WORK"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}

say "1/6 data: SciFact corpus, train topics + qrels, $DEV_QUERIES held out for dev, BM25 index"
export_data beir/scifact/train "$DATA" 16 300
[ -f "$SPLIT/dev-topics.tsv" ] || "$PY" -m csplade_pyserini split --topics "$DATA/topics.tsv" \
  --qrels "$DATA/qrels.txt" --dev-queries "$DEV_QUERIES" --seed 0 --output "$SPLIT"
[ -f "$CORPUS/docs.jsonl" ] || "$PY" -m csplade_pyserini corpus "$DATA/corpus" --output "$CORPUS" >/dev/null
[ -d "$WORK/bm25" ] || "$PY" -m csplade_pyserini index --bm25 "$CORPUS" "$WORK/bm25" --quiet

say "2/6 teacher: BM25 + all-MiniLM-L6-v2 scores of the queries' candidates; the dev corpus"
teach() {  # teach TOPICS QRELS OUTPUT
  [ -f "$3" ] || "$PY" -m csplade_pyserini teach --topics "$1" --qrels "$2" --corpus "$CORPUS" \
    --bm25-index "$WORK/bm25" --dense-model "${DENSE_MODEL:-all-minilm-l6-v2}" --output "$3"
}
teach "$SPLIT/dev-topics.tsv" "$SPLIT/dev-qrels.txt" "$SPLIT/dev-teacher.jsonl"
teach "$SPLIT/fit-topics.tsv" "$SPLIT/fit-qrels.txt" "$SPLIT/fit-teacher.jsonl"
[ -f "$DEV/corpus/docs.jsonl" ] || "$PY" -m csplade_pyserini dev-corpus --qrels "$SPLIT/dev-qrels.txt" \
  --corpus "$CORPUS" --teacher "$SPLIT/dev-teacher.jsonl" --docs "$DEV_DOCS" --output "$DEV/corpus/docs.jsonl"

say "3/6 table: IDF over the corpus, tokenized as $START's documents"
[ -f "$WORK/table/query_table.safetensors" ] || "$PY" -m csplade_pyserini query-table --encoder "$START" \
  --corpus "$CORPUS" --output "$WORK/table"

say "4/6 train: $START's documents against table queries, dev nDCG@10 every $DEV_EVERY steps ($STEPS steps)"
[ -d "$WORK/train/final" ] || "$PY" -m csplade_pyserini train --model "$START" --query-encoder table \
  --query-table "$WORK/table" --queries "$SPLIT/fit-topics.tsv" --qrels "$SPLIT/fit-qrels.txt" \
  --corpus "$CORPUS" --teacher-scores "$SPLIT/fit-teacher.jsonl" --distill kl --teacher-temperature 0.1 \
  --negatives 2 --negatives-depth 30 --output-dir "$WORK/train" --steps "$STEPS" --batch-size "$BATCH" \
  --query-max-length 256 --doc-max-length "$DOC_LENGTH" --learning-rate "$LR" --warmup-steps 10 \
  --temperature 5 --lambda-d 5e-4 --flops-warmup 50 --train-query-top-k 64 --train-doc-top-k 256 \
  --query-top-k 0 --doc-top-k 256 --lora-r "$LORA_R" --lora-dropout 0 --save-every 25 --keep-checkpoints 1 \
  --dev-topics "$SPLIT/dev-topics.tsv" --dev-qrels "$SPLIT/dev-qrels.txt" --dev-corpus "$DEV/corpus" \
  --dev-every "$DEV_EVERY" --resume
"$PY" -m csplade_pyserini curves "$WORK/train" --window 1 --keys dev_ndcg10 dev_r100 dev_q_terms dev_d_terms \
  > "$WORK/dev-curve.md"
cat "$WORK/dev-curve.md"

say "5/6 ship: the best step at each of INFER_LENGTHS on dev, its fusion with BM25, and $PRESET_DIR/csplade-doc.json"
[ -d "$DEV/bm25" ] || "$PY" -m csplade_pyserini index --bm25 "$DEV/corpus" "$DEV/bm25" --quiet
if [ ! -f "$DEV/bm25.trec" ]; then
  "$PY" -m pyserini.search.lucene --index "$DEV/bm25" --topics "$SPLIT/dev-topics.tsv" --output "$DEV/bm25.trec.tmp" \
    --bm25 --hits 100
  finish_run "$DEV/bm25.trec"
fi
cp "$SPLIT/dev-qrels.txt" "$DEV/dev-qrels.txt"
cp "$SPLIT/dev-topics.tsv" "$DEV/dev-topics.tsv"
BEST_STEP=$("$PY" -c 'import json, sys; print("%06d" % json.load(open(sys.argv[1]))["step"])' \
  "$WORK/train/best/best.json")
for length in $INFER_LENGTHS; do  # WORK/dev-doc-LENGTH.{trec,json} and the fusion tuned on that run
  run=$WORK/dev-doc-$length.trec
  [ "$length" = "$DOC_LENGTH" ] && run=$WORK/train/dev/run-$BEST_STEP.trec  # the training's own dev run
  [ "$length" = "$DOC_LENGTH" ] || dev_eval "$WORK/train/best" "$DEV" "$length" "$WORK/dev-doc-$length"
  tune_fusion "$run" "$DEV" "$WORK/fused-doc-$length.trec" "$WORK/fusion-doc-$length.json"
done
# the preset at its best length on dev (no budget: the default below keeps the quickstart's)
"$PY" recipes/choose_default.py --doc "$WORK" --budget 1000000 --output "$WORK/preset-length.json" >&2
LENGTH=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["doc_max_length"])' "$WORK/preset-length.json")
"$PY" recipes/record_preset.py "$PRESET_DIR/csplade-doc.json" --on "$START" --train "$WORK/train/best" \
  --length "$LENGTH" --fusion "$WORK/fusion-doc-$LENGTH.json"

say "6/6 default: csplade-doc against the candidates $PRESET_DIR/csplade.json was chosen among, on dev"
mkdir -p "$WORK/default"
"$PY" recipes/choose_default.py --previous "$PRESET_DIR/csplade.json" --doc "$WORK" \
  --output "$WORK/default/choice.json" | tee "$WORK/default/choice.md" >&2
CHOSEN=$("$PY" -c 'import json, sys; c = json.load(open(sys.argv[1])); print(c["preset"], c["doc_max_length"])' \
  "$WORK/default/choice.json")
if [ "${CHOSEN% *}" = csplade-doc ]; then
  "$PY" recipes/record_preset.py "$PRESET_DIR/csplade.json" --choice "$WORK/default/choice.json" \
    --fusion "$WORK/fusion-doc-${CHOSEN#* }.json"
fi
