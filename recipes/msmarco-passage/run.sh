#!/usr/bin/env bash
# The paper's Table 1 row for one model size and variant, start to finish (GPU only; SMOKE=1: CPU check).
#
#   SIZE=1b VARIANT=bi GPUS=8 bash recipes/msmarco-passage/run.sh
#
#   1-data.sh      MS MARCO corpus + topics + qrels, BM25 index, BM25 baseline, BM25 hard negatives (CPU)
#   2-adapt.sh     adaptation phase (once per SIZE)
#   3-train.sh     contrastive training of VARIANT (final/ = the merged model)
#   4-evaluate.sh  encode (sharded over the GPUs), index, search dev / DL19 / DL20, evaluate, table
# Every step skips what is finished and training steps resume, so re-running continues. For the full
# table: SIZE in 1b 8b, VARIANT in causal echo bi (six runs sharing the data and, per size, the adaptation).
# Settings and the paper's hyper-parameters: config.sh.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
bash "$here/1-data.sh"
bash "$here/2-adapt.sh"
bash "$here/3-train.sh"
bash "$here/4-evaluate.sh"
