#!/usr/bin/env bash
# Step 3: contrastive training (paper §4.1, App. C) of one VARIANT from the adapted model: InfoNCE over
# in-batch + 15 hard negatives per query (511 negatives per query at 32 queries per step, gathered across
# GPUs), FLOPS on queries and documents, LoRA. GPU only (SMOKE=1 runs it on the CPU). Settings: config.sh.
#
# Writes $RUN_DIR/train/final (the LoRA merged into a plain model: what 4-evaluate.sh encodes with).
# CHECKPOINT=<step> also merges $RUN_DIR/train/checkpoint-<step> into $RUN_DIR/train/merged-<step>, to
# evaluate it instead (MODEL=$RUN_DIR/train/merged-<step> bash 4-evaluate.sh).
source "$(dirname "${BASH_SOURCE[0]}")/config.sh"

TRAIN_DIR=$RUN_DIR/train
if [ ! -d "$TRAIN_DIR/final" ]; then
  say "train CSPLADE-$VARIANT-$SIZE on $GPUS GPU(s) into $TRAIN_DIR"
  # paper: 1B lr 5e-5, 3 epochs, lambda 3e-3, LoRA r 64 | 8B lr 1e-4, 1 epoch, lambda 3e-2, LoRA r 16;
  # 32 queries per step, 15 hard negatives, cosine with 5% warm-up, no temperature (1).
  # echo: the text is fed twice, the second copy is pooled; bi: the causal mask is removed.
  launch "$GPUS" train "${ON_CPU[@]}" \
    --model "$ADAPT_DIR" --output-dir "$TRAIN_DIR" --resume --variant "$VARIANT" \
    --data "$TRAIN_ID" --hard-negatives "$DATA/train/bm25.trec" --negatives-depth "$HARD_NEGATIVE_DEPTH" \
    ${MAX_QUERIES:+--max-queries "$MAX_QUERIES"} \
    --negatives "$NEGATIVES" --in-batch-negatives --cross-device-negatives --temperature 1 \
    --batch-size "$TRAIN_BATCH" --grad-accumulation 1 \
    --epochs "$TRAIN_EPOCHS" --learning-rate "$TRAIN_LR" --schedule cosine --warmup-ratio 0.05 \
    --lambda-q "$LAMBDA" --lambda-d "$LAMBDA" --flops-warmup "$FLOPS_WARMUP" \
    --lora-r "$LORA_R" --lora-dropout 0.1 \
    --query-max-length "$QUERY_MAX_LENGTH" --doc-max-length "$DOC_MAX_LENGTH" --doc-top-k "$DOC_TOP_K" \
    --gradient-checkpointing --save-every "$SAVE_EVERY" --keep-checkpoints 3 >&2
fi

if [ -n "${CHECKPOINT:-}" ] && [ ! -d "$TRAIN_DIR/merged-$CHECKPOINT" ]; then
  say "merge $TRAIN_DIR/checkpoint-$CHECKPOINT"
  "$PY" -m csplade_pyserini merge "$TRAIN_DIR/checkpoint-$CHECKPOINT" \
    --output "$TRAIN_DIR/merged-$CHECKPOINT" >&2
fi
