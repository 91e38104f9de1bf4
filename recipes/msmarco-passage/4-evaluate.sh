#!/usr/bin/env bash
# Step 4: encode MS MARCO with the trained model, index it, search dev / DL19 / DL20 and evaluate.
# GPU only (SMOKE=1 runs on the CPU): the 8.8M passages are encoded in GPUS shards at once (one process
# per GPU), and the queries are encoded once on GPU 0 and handed to Pyserini as a query-vector file.
# Settings: config.sh; MODEL (default $RUN_DIR/train/final) picks another model directory.
#
# Paper, Table 1 (dev MRR@10 / dev R@1k / DL19 nDCG@10 / DL20 nDCG@10 / index size):
#   CSPLADE-1B       38.2 / 98.5 / 73.2 / 68.9 / 2.6 GB   CSPLADE-8B       39.5 / 99.0 / 73.0 / 68.0 / 7.5 GB
#   CSPLADE-Echo-1B  38.8 / 98.9 / 72.9 / 69.5 / 4.6 GB   CSPLADE-Echo-8B  40.8 / 98.9 / 73.5 / 70.7 / 4.5 GB
#   CSPLADE-Bi-1B    40.4 / 99.0 / 73.8 / 69.8 / 5.6 GB   CSPLADE-Bi-8B    41.3 / 99.1 / 74.1 / 72.8 / 6.7 GB
#   BM25             18.4 / 85.4 / 50.6 / 48.0 / 2.6 GB   (runs from 1-data.sh)
# Our hard negatives are BM25's (the paper's are BM25 + coCondenser): expect somewhat lower numbers.
source "$(dirname "${BASH_SOURCE[0]}")/config.sh"

MODEL=${MODEL:-$RUN_DIR/train/final}
[ -d "$MODEL" ] || { echo "4-evaluate.sh: $MODEL does not exist: run 3-train.sh first" >&2; exit 2; }
ENCODED=$RUN_DIR/encoded   # the JsonVectorCollection (vectors/) and its stats/
INDEX=$RUN_DIR/index

say "encode $CORPUS_ID with $MODEL in $ENCODE_SHARDS shards ($DTYPE) and index it"
if [ ! -d "$INDEX" ]; then
  launch "$ENCODE_SHARDS" encode --encoder "$MODEL" --corpus "$DATA/corpus" \
    --output "$ENCODED" --device "$DEVICE" --dtype "$DTYPE" --batch-size "$ENCODE_BATCH" >&2
  "$PY" -m csplade_pyserini index "$ENCODED" "$INDEX" --threads "$THREADS" --quiet >&2
fi

rows=()
for set in $EVAL_SETS; do
  say "search $(eval_id "$set")"
  queries=$RUN_DIR/queries/$set.jsonl
  run=$RUN_DIR/runs/$set.trec
  [ -f "$queries" ] || CUDA_VISIBLE_DEVICES=0 "$PY" -m csplade_pyserini encode-queries --encoder "$MODEL" \
    --topics "$DATA/$set/topics.tsv" --output "$queries" --device "$DEVICE" --dtype "$DTYPE" >&2
  if [ ! -f "$run" ]; then
    mkdir -p "$(dirname "$run")"
    "$PY" -m pyserini.search.lucene --index "$INDEX" --topics "$DATA/$set/topics.tsv" \
      --encoder "$queries" --impact --hits 1000 --threads "$THREADS" --batch-size 128 --output "$run.tmp" >&2
    finish_run "$run"
  fi
  qrels=$DATA/$set/qrels.txt
  if [ "$set" = dev ]; then
    # MRR@10 (paper: 1B 38.2 / 38.8 / 40.4, 8B 39.5 / 40.8 / 41.3 for causal / echo / bi)
    "$PY" -m pyserini.eval.trec_eval -c -M 10 -m recip_rank "$qrels" "$run" | grep '^recip_rank ' >&2
    # R@1k (paper: 1B 98.5 / 98.9 / 99.0, 8B 99.0 / 98.9 / 99.1)
    "$PY" -m pyserini.eval.trec_eval -c -m recall.1000 "$qrels" "$run" | grep '^recall_1000 ' >&2
  else
    # nDCG@10 (paper DL19: 1B 73.2 / 72.9 / 73.8, 8B 73.0 / 73.5 / 74.1;
    #          DL20: 1B 68.9 / 69.5 / 69.8, 8B 68.0 / 70.7 / 72.8)
    "$PY" -m pyserini.eval.trec_eval -c -m ndcg_cut.10 "$qrels" "$run" | grep '^ndcg_cut_10 ' >&2
  fi
  rows+=(--run name="CSPLADE-$VARIANT-$SIZE $set" run="$run" qrels="$qrels"
         metrics="$(eval_metrics "$set")" index="$INDEX" export="$ENCODED" query-vectors="$queries")
  if [ -f "$DATA/$set/bm25.trec" ]; then  # the BM25 row of 1-data.sh, for comparison
    rows+=(--run name="BM25 $set" run="$DATA/$set/bm25.trec" qrels="$qrels"
           metrics="$(eval_metrics "$set")" index="$DATA/bm25/index")
  fi
done

say "summary ($MODEL)"
"$PY" -m csplade_pyserini report --json "$RUN_DIR/report.json" "${rows[@]}" | tee "$RUN_DIR/report.md"
