#!/usr/bin/env bash
# Step 2: the adaptation phase (paper §3.1): L_CLM + lambda_ReLU * L_ReLU on the MS MARCO passages, which
# keeps the log(1 + ReLU) activations alive for contrastive training. Once per SIZE; the three variants
# start from its final/. GPU only (SMOKE=1 runs it on the CPU): one process per GPU through accelerate.
# Settings: config.sh.
source "$(dirname "${BASH_SOURCE[0]}")/config.sh"

if [ -d "$ADAPT_DIR/final" ]; then
  say "$ADAPT_DIR/final exists: adaptation done"
  exit 0
fi
say "adapt $BASE_MODEL on $GPUS GPU(s) into $ADAPT_DIR"
# paper: 10k steps x 32 packed sequences of 2,048 tokens, cosine, 1k warm-up, lambda_ReLU = 1 (LR and
# full vs LoRA are not stated: see config.sh). --resume continues an interrupted run.
launch "$GPUS" adapt "${ON_CPU[@]}" \
  --model "$BASE_MODEL" --output-dir "$ADAPT_DIR" --resume \
  --corpus "$DATA/corpus" --pack --seq-length "$ADAPT_SEQ_LENGTH" --lambda-relu 1 --objective clm \
  --steps "$ADAPT_STEPS" --warmup-steps "$ADAPT_WARMUP" --schedule cosine --learning-rate "$ADAPT_LR" \
  --batch-size "$ADAPT_BATCH" --grad-accumulation "$ADAPT_ACCUMULATION" \
  "$ADAPT_TUNING" --lora-r "$ADAPT_LORA_R" --gradient-checkpointing --save-every "$SAVE_EVERY" >&2
