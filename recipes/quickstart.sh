#!/usr/bin/env bash
# Quickstart: BEIR SciFact (test) end to end with a CSPLADE encoder, next to BM25 and their fusion.
#
#   bash recipes/quickstart.sh [--force] [--check]
#
# Sets up .venv (recipes/setup.sh), exports SciFact with ir_datasets, encodes the corpus into a
# JsonVectorCollection, builds a Lucene impact index with Anserini, searches it with Pyserini's own
# `python -m pyserini.search.lucene --impact --encoder csplade`, does the same with BM25, fuses the two
# runs with Pyserini's fusion (`csplade fuse`: the setting the encoder's recipe chose on dev; RRF k=60
# for an encoder without one), evaluates all three with `python -m pyserini.eval.trec_eval`, and prints
# nDCG@10, R@100, index size, mean non-zero terms per document and query, and encoding time (also in
# $WORK/report.md and report.json). --check compares the table with recipes/expected.yaml.
#
# CPU only is fine: 34 minutes on 2 AVX512-BF16 cores (DTYPE=auto: bf16; 32 of them encoding 5,183
# documents at the default's 256 input tokens, 128 read twice; ENCODER=csplade-mixed DOC_MAX_LENGTH=128:
# 15), 2-3x that on 2 AVX2-only cores
# (float32). Re-running reuses every finished step (data, encoded shards, indexes, runs, evaluation), so
# change settings together with --force (redoes every step) or another WORK. An interrupted encoding
# resumes where it stopped.
#
# Variables (defaults):
#   ENCODER=csplade        model directory, preset name (encoders/) or Hugging Face id
#   WORK=runs/quickstart   where everything is written
#   DATASET=beir/scifact/test   any ir_datasets id with docs, queries and qrels
#   DTYPE=auto             float32 | bfloat16 | a quantization method (bnb-int8, torchao-int8wo, ...:
#                          docs/quantization.md) | auto (bf16 only where it is fast: CUDA, or a CPU
#                          with native bf16; float32 on an AVX2-only CPU, where bf16 is ~5x slower)
#   DEVICE=cpu  BATCH_SIZE=16  DOC_MAX_LENGTH=(the encoder's)
#   SMOKE=1                a tiny random model (unless ENCODER is set) and a 300-document slice of
#                          SciFact: checks the commands in a few minutes; its numbers mean nothing
#   CSPLADE_SKIP_SETUP=1 or PY=python   use an existing environment instead of .venv
#   IR_DATASETS_HOME       where ir_datasets keeps its downloads (see recipes/common.sh)
FORCE=0
CHECK=0
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    --check) CHECK=1 ;;
    -h | --help) sed -n '2,/^FORCE=0/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "quickstart.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

WORK=${WORK:-runs/quickstart}
DATASET=${DATASET:-beir/scifact/test}
DTYPE=${DTYPE:-auto}
DEVICE=${DEVICE:-cpu}
BATCH_SIZE=${BATCH_SIZE:-16}
DOC_MAX_LENGTH=${DOC_MAX_LENGTH:-}
if [ "$SMOKE" = 1 ] && [ -z "${ENCODER:-}" ]; then
  ENCODER=$(smoke_model "$WORK/smoke-model")
fi
ENCODER=${ENCODER:-csplade}

DATA=$WORK/data            # topics.tsv, qrels.txt, corpus/docs.jsonl
EXPORT=$WORK/encoded       # the `csplade encode` output: vectors/ (the JsonVectorCollection), stats/
INDEXES=$WORK/indexes
RUNS=$WORK/runs
if [ "$FORCE" = 1 ]; then
  rm -rf "$WORK/data" "$WORK/data-full" "$EXPORT" "$INDEXES" "$RUNS" "$WORK/queries.jsonl" "$WORK"/report.*
fi
mkdir -p "$WORK" "$RUNS"
irds_home "$WORK"
started=$SECONDS

say "1/7 export $DATASET (topics, qrels, corpus) with ir_datasets"
export_data "$DATASET" "$DATA" 20 300

say "2/7 encode the corpus with $ENCODER (dtype $DTYPE) into $EXPORT"
# always called: a finished export made by this encoder, config and corpus is kept as it is; one made by
# anything else is refused with one line (rerun with --force, or another WORK)
"$PY" -m csplade_pyserini encode --encoder "$ENCODER" --corpus "$DATA/corpus" --output "$EXPORT" \
  --device "$DEVICE" --dtype "$DTYPE" --batch-size "$BATCH_SIZE" \
  ${DOC_MAX_LENGTH:+--doc-max-length "$DOC_MAX_LENGTH"} >&2

say "3/7 build the Lucene impact index and the BM25 index (Anserini)"
[ -d "$INDEXES/csplade" ] || "$PY" -m csplade_pyserini index "$EXPORT" "$INDEXES/csplade" --quiet >&2
[ -d "$INDEXES/bm25" ] || "$PY" -m csplade_pyserini index --bm25 "$DATA/corpus" "$INDEXES/bm25" --quiet >&2

say "4/7 search: Pyserini with the CSPLADE query encoder, and BM25"
if [ ! -f "$RUNS/csplade.trec" ]; then
  CSPLADE_DTYPE=$DTYPE "$PY" -m pyserini.search.lucene --index "$INDEXES/csplade" --topics "$DATA/topics.tsv" \
    --output "$RUNS/csplade.trec.tmp" --impact --encoder "$ENCODER" --hits 1000 >&2
  finish_run "$RUNS/csplade.trec"
fi
if [ ! -f "$RUNS/bm25.trec" ]; then
  "$PY" -m pyserini.search.lucene --index "$INDEXES/bm25" --topics "$DATA/topics.tsv" \
    --output "$RUNS/bm25.trec.tmp" --bm25 --hits 1000 >&2
  finish_run "$RUNS/bm25.trec"
fi
# The query vectors the searcher used, written out once to count their terms for the table.
[ -f "$WORK/queries.jsonl" ] || "$PY" -m csplade_pyserini encode-queries --encoder "$ENCODER" \
  --topics "$DATA/topics.tsv" --output "$WORK/queries.jsonl" --device "$DEVICE" --dtype "$DTYPE" >&2

say "5/7 fuse CSPLADE and BM25 with Pyserini's fusion"
if [ ! -f "$RUNS/hybrid.trec" ]; then
  if "$PY" -c 'import sys; from csplade_pyserini.loading.presets import find_preset as f
p = f(sys.argv[1]); sys.exit(0 if p is not None and p.fusion else 1)' "$ENCODER"; then
    SETTING=(--setting "$ENCODER")  # chosen on dev by the encoder's recipe
  else
    SETTING=(--method rrf --rrf-k 60)  # Pyserini's default
  fi
  "$PY" -m csplade_pyserini fuse --runs "$RUNS/csplade.trec" "$RUNS/bm25.trec" --output "$RUNS/hybrid.trec" \
    "${SETTING[@]}" >&2
fi
FUSION=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["label"])' "$RUNS/hybrid.trec.json")

REPORT=$WORK/report.md
if [ -f "$REPORT" ] && [ "$REPORT" -nt "$RUNS/csplade.trec" ] && [ "$REPORT" -nt "$RUNS/bm25.trec" ] \
   && [ "$REPORT" -nt "$WORK/queries.jsonl" ] && [ "$REPORT" -nt "$RUNS/hybrid.trec" ]; then
  say "6-7/7 evaluated before (--force redoes every step)"
  cat "$REPORT"
  [ "$CHECK" = 0 ] || check_expected quickstart "$WORK/report.json"
  exit 0
fi

say "6/7 evaluate with trec_eval"
for run in csplade bm25 hybrid; do
  echo "== $run" >&2
  "$PY" -m pyserini.eval.trec_eval -c -m ndcg_cut.10 -m recall.100 "$DATA/qrels.txt" "$RUNS/$run.trec" \
    | grep -E '^(ndcg_cut_10|recall_100) ' >&2
done

say "7/7 summary ($(( SECONDS - started )) s so far)"
"$PY" -m csplade_pyserini report --json "$WORK/report.json" --metrics nDCG@10 R@100 \
  --run name="CSPLADE ($(basename "$ENCODER"))" run="$RUNS/csplade.trec" qrels="$DATA/qrels.txt" \
        index="$INDEXES/csplade" export="$EXPORT" query-vectors="$WORK/queries.jsonl" \
  --run name=BM25 run="$RUNS/bm25.trec" qrels="$DATA/qrels.txt" index="$INDEXES/bm25" \
  --run name="CSPLADE + BM25 ($FUSION)" run="$RUNS/hybrid.trec" qrels="$DATA/qrels.txt" \
  > "$REPORT.tmp"
mv "$REPORT.tmp" "$REPORT"
cat "$REPORT"
echo "($DATASET, $(wc -l < "$DATA/topics.tsv") queries; $(( SECONDS - started )) s; files in $WORK."
echo " index: size on disk; BM25's also stores positions, document vectors and the text. encode: the"
echo " corpus encoding time, model loading excluded. CSPLADE + BM25: Pyserini's fusion of the two runs.)"
[ "$CHECK" = 0 ] || check_expected quickstart "$WORK/report.json"
