#!/usr/bin/env bash
# The quantization study with the paper's protocol (§7): for each precision the whole corpus is encoded by
# the quantized model, indexed by Anserini, searched with the same quantized query encoder and evaluated.
#
#   bash recipes/quantization.sh [PRECISION...]
#
# Default precisions: bfloat16 float32 torch-int8 bnb-int8 bnb-nf4 bnb-fp4 torchao-int8wo torchao-int4wo
# torchao-int8dq (the --dtype choices). A method the machine cannot run is a row with the library's reason.
# Prints one table (also WORK/report.md, .json): nDCG@10, R@100, index size, encode docs/s, weight memory,
# peak RSS of the encoding process, each with its ratio to bfloat16. Finished rows are reused, so the study
# can span sittings; each export records the machine that encoded it, and a docs/s ratio between rows
# encoded on different machines (another CPU, other extensions, another thread count) reads "other machine".
#
# Variables (defaults): ENCODER=csplade  WORK=runs/quantization  DATASET=beir/scifact/test  BATCH_SIZE=16
#   DOC_MAX_LENGTH=(the encoder's; 128 halves the CPU time of every row: ~15 minutes for bf16 here)
#   SMOKE=1: a tiny random model (hidden 128) and a slice of SciFact, to check the commands.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
case ${1:-} in
  -h | --help) usage; exit 0 ;;
esac

WORK=${WORK:-runs/quantization}
DATASET=${DATASET:-beir/scifact/test}
BATCH_SIZE=${BATCH_SIZE:-16}
DOC_MAX_LENGTH=${DOC_MAX_LENGTH:-}
if [ "$SMOKE" = 1 ] && [ -z "${ENCODER:-}" ]; then
  ENCODER=$WORK/smoke-model
  [ -d "$ENCODER" ] || "$PY" recipes/smoke.py model "$ENCODER" --hidden 128 >/dev/null
fi
ENCODER=${ENCODER:-csplade}
if [ $# -gt 0 ]; then PRECISIONS=("$@"); else
  PRECISIONS=(bfloat16 float32 torch-int8 bnb-int8 bnb-nf4 bnb-fp4 torchao-int8wo torchao-int4wo torchao-int8dq)
fi
DATA=$WORK/data
mkdir -p "$WORK"
irds_home "$WORK"
export_data "$DATASET" "$DATA" 20 300

ROWS=()
for precision in "${PRECISIONS[@]}"; do
  out=$WORK/$precision
  say "$precision: encode the corpus, index, search, evaluate"
  if [ -f "$out/not-run.txt" ]; then
    ROWS+=(--run name="$precision" skipped="$(cat "$out/not-run.txt")")
    continue
  fi
  ENCODE=("$PY" -m csplade_pyserini encode --encoder "$ENCODER" --corpus "$DATA/corpus" --output "$out/encoded"
          --dtype "$precision" --batch-size "$BATCH_SIZE" ${DOC_MAX_LENGTH:+--doc-max-length "$DOC_MAX_LENGTH"})
  if [ -f "$out/encoded/vectors/part-00000-of-00001.jsonl" ]; then
    "${ENCODE[@]}" >&2  # a finished row is kept only if this encoder, config and corpus made it; else one line
  else
    mkdir -p "$out"
    if ! "${ENCODE[@]}" 2> "$out/encode.log"; then
      reason=$(grep "error:" "$out/encode.log" | tail -1 | sed 's/^csplade encode: error: //')
      [ -n "$reason" ] || { cat "$out/encode.log" >&2; exit 1; }
      echo "$reason" > "$out/not-run.txt"
      ROWS+=(--run name="$precision" skipped="$reason")
      continue
    fi
  fi
  [ -d "$out/index" ] || "$PY" -m csplade_pyserini index "$out/encoded" "$out/index" --quiet >&2
  [ -f "$out/queries.jsonl" ] || "$PY" -m csplade_pyserini encode-queries --encoder "$ENCODER" \
    --topics "$DATA/topics.tsv" --output "$out/queries.jsonl" --dtype "$precision" >&2
  if [ ! -f "$out/run.trec" ]; then  # the pre-encoded queries: Pyserini loads no model for the search
    "$PY" -m pyserini.search.lucene --index "$out/index" --topics "$DATA/topics.tsv" --impact \
      --encoder "$out/queries.jsonl" --output "$out/run.trec.tmp" --hits 1000 >&2
    finish_run "$out/run.trec"
  fi
  ROWS+=(--run name="$precision" run="$out/run.trec" qrels="$DATA/qrels.txt" index="$out/index"
         export="$out/encoded" query-vectors="$out/queries.jsonl")
done

say "summary (ratios against bfloat16, measured in this run)"
"$PY" -m csplade_pyserini report --json "$WORK/report.json" --metrics nDCG@10 R@100 --relative-to bfloat16 \
  "${ROWS[@]}" > "$WORK/report.md.tmp"
mv "$WORK/report.md.tmp" "$WORK/report.md"
cat "$WORK/report.md"
