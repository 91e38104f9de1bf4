#!/usr/bin/env bash
# Step 1 of the MS MARCO passage recipe: the data, the BM25 baseline runs and the hard negatives.
# CPU only (no GPU needed; not timed here); ir_datasets downloads the collection and topics on first use.
# Run once: the model steps (2-adapt.sh, 3-train.sh, 4-evaluate.sh) of every SIZE and VARIANT read it.
# Settings: config.sh.
source "$(dirname "${BASH_SOURCE[0]}")/config.sh"

raw=$DATA
[ "$SMOKE" = 1 ] && raw=$WORK/data-full

say "export the corpus ($CORPUS_ID) and the topics + qrels of the training and evaluation sets"
[ -f "$raw/corpus/docs.jsonl" ] || "$PY" -m csplade_pyserini corpus "$CORPUS_ID" --output "$raw/corpus" >&2
for set in train $EVAL_SETS; do
  id=$TRAIN_ID
  [ "$set" = train ] || id=$(eval_id "$set")
  [ -f "$raw/$set/topics.tsv" ] || "$PY" -m csplade_pyserini topics "$id" --output "$raw/$set/topics.tsv"
  [ -f "$raw/$set/qrels.txt" ] || "$PY" -m csplade_pyserini qrels "$id" --output "$raw/$set/qrels.txt"
done
if [ "$SMOKE" = 1 ]; then
  "$PY" recipes/smoke.py subset --data "$raw" --output "$DATA" \
    --queries "$SMOKE_QUERIES" --docs "$SMOKE_DOCS" >&2
fi

say "BM25 index of the corpus (Anserini defaults; the paper's BM25 row)"
[ -d "$DATA/bm25/index" ] || "$PY" -m csplade_pyserini index --bm25 "$DATA/corpus" "$DATA/bm25/index" \
  --threads "$THREADS" --quiet >&2

say "hard negatives: the BM25 top $HARD_NEGATIVE_DEPTH of every training query"
if [ ! -f "$DATA/train/bm25.trec" ]; then
  "$PY" -m pyserini.search.lucene --index "$DATA/bm25/index" --topics "$DATA/train/topics.tsv" --bm25 \
    --hits "$HARD_NEGATIVE_DEPTH" --threads "$THREADS" --batch-size 256 \
    --output "$DATA/train/bm25.trec.tmp" >&2
  finish_run "$DATA/train/bm25.trec"
fi

say "BM25 baseline (k1 0.9, b 0.4: Pyserini's defaults, as in the paper's Table 1)"
for set in $EVAL_SETS; do
  if [ ! -f "$DATA/$set/bm25.trec" ]; then
    "$PY" -m pyserini.search.lucene --index "$DATA/bm25/index" --topics "$DATA/$set/topics.tsv" --bm25 \
      --hits 1000 --threads "$THREADS" --batch-size 256 --output "$DATA/$set/bm25.trec.tmp" >&2
    finish_run "$DATA/$set/bm25.trec"
  fi
done
# Evaluated next to the model by 4-evaluate.sh. Paper, BM25: dev MRR@10 18.4, R@1k 85.4; DL19 nDCG@10 50.6;
# DL20 48.0; index 2.6 GB.
