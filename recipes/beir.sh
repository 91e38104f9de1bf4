#!/usr/bin/env bash
# Zero-shot BEIR evaluation of a CSPLADE model: nDCG@10 per dataset and their average, as a table.
#
#   bash recipes/beir.sh MODEL [DATASET_ID ...]
#
# GPU: the large collections (nq 2.7M documents, hotpotqa 5.2M, dbpedia-entity 4.6M, fever and
# climate-fever 5.4M, quora 523k, webis-touche2020 382k, trec-covid 171k) need one or more GPUs
# (DEVICE=cuda, GPUS=number of GPUs: the corpus is encoded in GPUS shards at once, one per GPU).
# SciFact, NFCorpus, ArguAna, SciDocs and FiQA run on a CPU, slowly (DEVICE=cpu).
#
# MODEL is a model directory (e.g. runs/msmarco-passage/1b-bi/train/final), a preset name or a Hugging
# Face id. DATASET_ID is an ir_datasets id with documents, queries and qrels; default: the 13 public BEIR
# sets of the paper (below). For each set: export (ir_datasets downloads it on first use), encode the
# corpus, build the impact index, encode the queries once (csplade encode-queries), search with
# `python -m pyserini.search.lucene --impact --encoder QUERIES.jsonl --remove-query` (as Pyserini's
# BEIR regressions do), evaluate with `trec_eval -c -m ndcg_cut.10`. Finished steps are reused.
#
# Variables (defaults): WORK=runs/beir/<model name>  DEVICE=cuda if available, else cpu  GPUS=1
#   DTYPE=auto (bf16 on GPU)  BATCH_SIZE=32  DOC_MAX_LENGTH=512 (our choice; the paper states none)
#   THREADS=8 (search)  SMOKE=1: a tiny random model and a slice of SciFact, to check the commands.
if [ $# -lt 1 ] && [ "${SMOKE:-0}" != 1 ] || [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
  sed -n '2,/^if \[/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
fi
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
MODEL=${1:-}
shift || true
if [ "$SMOKE" = 1 ] && [ -z "$MODEL" ]; then
  MODEL=$(smoke_model "${WORK:-runs/beir/smoke}/smoke-model")
fi
WORK=${WORK:-runs/beir/$(basename "$MODEL")}
DEVICE=${DEVICE:-$("$PY" -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')}
GPUS=${GPUS:-$([ "$SMOKE" = 1 ] && echo 2 || echo 1)}  # smoke: 2 CPU shards
DTYPE=${DTYPE:-auto}
BATCH_SIZE=${BATCH_SIZE:-32}
DOC_MAX_LENGTH=${DOC_MAX_LENGTH:-512}
THREADS=${THREADS:-8}

# The 13 public BEIR sets of the paper's Table 2, with its nDCG@10 (x100) for BM25 / CSPLADE-1B /
# CSPLADE-Bi-1B / CSPLADE-Bi-8B. Average over the 13: 43.7 / 48.8 / 49.4 / 55.3.
DATASETS=(
  beir/arguana                 # 39.7 / 44.7 / 45.0 / 48.9
  beir/climate-fever           # 16.5 / 19.5 / 21.8 / 29.4
  beir/dbpedia-entity/test     # 31.8 / 39.2 / 39.0 / 44.5
  beir/fever/test              # 65.1 / 73.3 / 74.8 / 86.5
  beir/fiqa/test               # 23.6 / 33.2 / 36.3 / 40.5
  beir/hotpotqa/test           # 63.3 / 63.6 / 62.4 / 69.8
  beir/nfcorpus/test           # 32.2 / 36.5 / 32.4 / 37.2
  beir/nq                      # 30.6 / 52.9 / 55.4 / 60.9
  beir/quora/test              # 78.9 / 81.0 / 79.6 / 87.1
  beir/scidocs                 # 14.9 / 15.8 / 15.1 / 17.6
  beir/scifact/test            # 67.9 / 71.2 / 71.1 / 73.9
  beir/trec-covid              # 59.5 / 68.4 / 71.6 / 83.2
  beir/webis-touche2020/v2     # 44.2 / 34.8 / 37.7 / 38.9
)
[ "$SMOKE" = 1 ] && DATASETS=(beir/scifact/test)
[ $# -gt 0 ] && DATASETS=("$@")

mkdir -p "$WORK"
irds_home "$WORK"
say "model $MODEL on $DEVICE ($GPUS encoding processes), ${#DATASETS[@]} datasets, in $WORK"
rows=()
for dataset in "${DATASETS[@]}"; do
  name=${dataset#beir/}
  name=${name%/test}
  dir=$WORK/${name//\//-}
  say "$dataset -> $dir"

  export_data "$dataset" "$dir/data" 10 200

  # Encode the corpus in GPUS shards at once (shard i on GPU i); an interrupted shard resumes.
  if [ ! -d "$dir/index" ]; then
    launch "$GPUS" encode --encoder "$MODEL" --corpus "$dir/data/corpus" \
      --output "$dir/encoded" --device "$DEVICE" --dtype "$DTYPE" --batch-size "$BATCH_SIZE" \
      --doc-max-length "$DOC_MAX_LENGTH" >&2
    "$PY" -m csplade_pyserini index "$dir/encoded" "$dir/index" --threads "$THREADS" --quiet >&2
  fi
  [ -f "$dir/queries.jsonl" ] || "$PY" -m csplade_pyserini encode-queries --encoder "$MODEL" \
    --topics "$dir/data/topics.tsv" --output "$dir/queries.jsonl" --device "$DEVICE" --dtype "$DTYPE" >&2
  if [ ! -f "$dir/run.trec" ]; then
    "$PY" -m pyserini.search.lucene --index "$dir/index" --topics "$dir/data/topics.tsv" \
      --encoder "$dir/queries.jsonl" --impact --hits 1000 --remove-query \
      --threads "$THREADS" --batch-size 64 --output "$dir/run.trec.tmp" >&2
    finish_run "$dir/run.trec"
  fi
  "$PY" -m pyserini.eval.trec_eval -c -m ndcg_cut.10 "$dir/data/qrels.txt" "$dir/run.trec" \
    | grep '^ndcg_cut_10 ' >&2
  rows+=(--run name="$name" run="$dir/run.trec" qrels="$dir/data/qrels.txt" index="$dir/index"
         export="$dir/encoded" query-vectors="$dir/queries.jsonl")
done

say "summary"
"$PY" -m csplade_pyserini report --metrics nDCG@10 --average --json "$WORK/report.json" "${rows[@]}" \
  | tee "$WORK/report.md"
