# Settings of the MS MARCO passage recipes (the paper's Table 1), sourced by every step script.
# Every value can be set from the environment, e.g.  SIZE=8b VARIANT=echo GPUS=8 bash run.sh
#
#   SIZE      1b (Llama-3.2-1B) | 8b (Llama-3.1-8B)          default 1b
#   VARIANT   causal | echo | bi                            default bi
#   GPUS      GPUs of this machine: training processes (accelerate) and encoding shards   default 8
#   WORK      output folder                                 default runs/msmarco-passage
#   SMOKE=1   a tiny random model and BEIR SciFact instead of MS MARCO, a few steps on the CPU: checks
#             that every command and flag of the recipe works; the numbers mean nothing.
# The base models are gated on the Hugging Face hub: accept Meta's licence and `huggingface-cli login`.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

if [ "$SMOKE" = 1 ]; then
  : "${WORK:=runs/msmarco-passage-smoke}" "${DEVICE:=cpu}" "${GPUS:=1}" "${ENCODE_SHARDS:=2}"
  : "${CORPUS_ID:=beir/scifact}" "${TRAIN_ID:=beir/scifact/train}" "${DEV_ID:=beir/scifact/test}"
  : "${EVAL_SETS:=dev}" "${SMOKE_QUERIES:=12}" "${SMOKE_DOCS:=300}"
  : "${ADAPT_STEPS:=2}" "${ADAPT_WARMUP:=1}" "${ADAPT_SEQ_LENGTH:=64}"
  : "${ADAPT_BATCH:=2}" "${ADAPT_GLOBAL_BATCH:=2}"
  : "${TRAIN_GLOBAL_BATCH:=2}" "${NEGATIVES:=2}" "${HARD_NEGATIVE_DEPTH:=10}" "${MAX_QUERIES:=8}"
  : "${TRAIN_EPOCHS:=1}" "${FLOPS_WARMUP:=2}" "${SAVE_EVERY:=2}"
  : "${QUERY_MAX_LENGTH:=16}" "${DOC_MAX_LENGTH:=64}"
  : "${ENCODE_BATCH:=16}" "${THREADS:=2}" "${DTYPE:=float32}" "${LORA_R:=4}" "${DOC_TOP_K:=32}"
  : "${BASE_MODEL:=$WORK/smoke-model}"
  mkdir -p "$WORK"
  smoke_model "$BASE_MODEL" >/dev/null
fi

: "${SIZE:=1b}" "${VARIANT:=bi}" "${GPUS:=8}" "${WORK:=runs/msmarco-passage}" "${DEVICE:=cuda}"
: "${ENCODE_SHARDS:=$GPUS}"   # corpus shards encoded at once, shard i on GPU i
case $SIZE in
  1b) : "${BASE_MODEL:=meta-llama/Llama-3.2-1B}"
      # adaptation: full fine-tuning at 2e-5 (the paper states neither; our default, ../shared/PAPER.md §10)
      : "${ADAPT_TUNING:=--full-finetune}" "${ADAPT_LR:=2e-5}" "${ADAPT_BATCH:=1}"
      # contrastive (paper): LoRA r 64, lr 5e-5, 3 epochs, FLOPS lambda_q = lambda_d = 3e-3
      : "${LORA_R:=64}" "${TRAIN_LR:=5e-5}" "${TRAIN_EPOCHS:=3}" "${LAMBDA:=3e-3}" ;;
  8b) : "${BASE_MODEL:=meta-llama/Llama-3.1-8B}"
      # adaptation: LoRA r 64 at 1e-4 (full fine-tuning of 8B does not fit DDP on 8 x A100; our choice)
      : "${ADAPT_TUNING:=--no-full-finetune}" "${ADAPT_LR:=1e-4}" "${ADAPT_BATCH:=1}"
      # contrastive (paper): LoRA r 16, lr 1e-4, 1 epoch, FLOPS lambda = 3e-2
      : "${LORA_R:=16}" "${TRAIN_LR:=1e-4}" "${TRAIN_EPOCHS:=1}" "${LAMBDA:=3e-2}" ;;
  *) echo "SIZE must be 1b or 8b, not $SIZE" >&2; exit 2 ;;
esac
case $VARIANT in causal | echo | bi) ;; *) echo "VARIANT must be causal, echo or bi" >&2; exit 2 ;; esac

# Data (ir_datasets ids; downloaded on first use)
: "${CORPUS_ID:=msmarco-passage}"                   # 8,841,823 passages
: "${TRAIN_ID:=msmarco-passage/train/judged}"       # 502,939 training queries with qrels
: "${DEV_ID:=msmarco-passage/dev/small}"            # 6,980 queries
: "${DL19_ID:=msmarco-passage/trec-dl-2019/judged}" # 43 queries
: "${DL20_ID:=msmarco-passage/trec-dl-2020/judged}" # 54 queries
: "${EVAL_SETS:=dev dl19 dl20}"
# Adaptation (paper): 10k steps, 2,048-token packed sequences, 32 per step, cosine, 1k warm-up, lambda_ReLU 1
: "${ADAPT_STEPS:=10000}" "${ADAPT_WARMUP:=1000}" "${ADAPT_SEQ_LENGTH:=2048}" "${ADAPT_GLOBAL_BATCH:=32}"
: "${ADAPT_LORA_R:=64}"   # used when ADAPT_TUNING=--no-full-finetune (LoRA)
# Contrastive (paper): 32 queries per step, 15 hard negatives each, cosine with 5% warm-up. Our choices:
# negatives from the BM25 top 100 (the paper used Tevatron's BM25 + coCondenser mix), FLOPS warm-up 1000
# steps, 32 / 256 query / passage tokens, no top-k at inference (DOC_TOP_K=0: every positive weight is kept).
: "${TRAIN_GLOBAL_BATCH:=32}" "${NEGATIVES:=15}" "${HARD_NEGATIVE_DEPTH:=100}" "${FLOPS_WARMUP:=1000}"
: "${QUERY_MAX_LENGTH:=32}" "${DOC_MAX_LENGTH:=256}" "${DOC_TOP_K:=0}"
: "${SAVE_EVERY:=1000}" "${MAX_QUERIES:=}"  # MAX_QUERIES: use only the first N training queries
# Inference: bf16 (as the paper), 1000 hits
: "${DTYPE:=bfloat16}" "${ENCODE_BATCH:=128}" "${THREADS:=16}"

DATA=$WORK/data                      # corpus/, train/, dev/, dl19/, dl20/ (topics.tsv, qrels.txt), bm25/
ADAPT_DIR=$WORK/$SIZE-adapt          # phase 1, shared by the three variants
RUN_DIR=$WORK/$SIZE-$VARIANT         # phase 2 (train/), encoded/, index/, queries/, runs/
mkdir -p "$WORK"
irds_home "$WORK"

# Global batches split over the GPUs: TRAIN_BATCH queries per GPU (one micro-batch, so every query sees
# the 32 x 16 - 1 = 511 other passages of the step); ADAPT_BATCH sequences per GPU x ADAPT_ACCUMULATION.
if (( TRAIN_GLOBAL_BATCH % GPUS || ADAPT_GLOBAL_BATCH % (GPUS * ADAPT_BATCH) )); then
  echo "the global batches ($TRAIN_GLOBAL_BATCH, $ADAPT_GLOBAL_BATCH) do not split over $GPUS GPUs" >&2
  exit 2
fi
TRAIN_BATCH=$(( TRAIN_GLOBAL_BATCH / GPUS ))
ADAPT_ACCUMULATION=$(( ADAPT_GLOBAL_BATCH / (GPUS * ADAPT_BATCH) ))

# Training: one process per GPU (`launch`, common.sh); `csplade scale --gpus N` predicts each phase's memory per
# GPU and time (docs/scale.md): at these defaults 9-33 GiB of an 80 GB H100, the largest 8B ECHO training.
ON_CPU=()
[ "$DEVICE" = cpu ] && ON_CPU=(--cpu)

eval_id() {  # eval_id dev|dl19|dl20 -> the ir_datasets id
  case $1 in dev) echo "$DEV_ID" ;; dl19) echo "$DL19_ID" ;; dl20) echo "$DL20_ID" ;; *) echo "$1" ;; esac
}
eval_metrics() {  # the paper's Table 1 metrics of an evaluation set (for csplade report)
  case $1 in dev) echo "MRR@10,R@1k" ;; *) echo "nDCG@10" ;; esac
}
