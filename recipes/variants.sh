#!/usr/bin/env bash
# The paper's Table 1 at small scale: CSPLADE (causal), CSPLADE-Echo and CSPLADE-Bi trained with one recipe
# and one budget (train-default.sh's: distillation + pseudo-queries, from the same adaptation), each shipped
# as a preset (csplade-causal, csplade-echo, csplade-bi: the adaptation adapter shared), evaluated on the
# SciFact dev split and, once, on SciFact test. Then the default `csplade` is chosen again on dev among
# csplade-mixed (train-default.sh's) and the variants, within csplade-mixed's encoding cost
# (recipes/choose_default.py: ECHO documents cost twice their length), and tested once (DEFAULT/default/).
#
#   bash recipes/variants.sh [VARIANT...]        # default: causal echo bi (run train-default.sh first)
#   bash recipes/variants.sh --raw VARIANT       # the same training from the raw model (no adaptation)
#
# Every variant is encoded with the default's document length (DEFAULT/adapt-corpus/inference.json, chosen
# on dev); the training's dev curve uses its training length. Per variant: WORK/VARIANT/train (dev curve,
# best/), WORK/VARIANT/dev-doc-LENGTH.{trec,json} (the best checkpoint on dev at the inference length, the
# number that picks the default), WORK/VARIANT/quickstart (SciFact test, BM25 beside it); the table:
# WORK/table.md. Variables (defaults): DEFAULT=runs/train-default (its adapt-corpus/ holds the
# adaptation, training data, teacher scores and dev split)  WORK=runs/variants  PRESET_DIR=encoders
#   STEPS=(train-default's)  BASE=smollm2-135m (the raw start)  SMOKE=1: with train-default.sh's smoke
#   output, 2 steps, a slice of SciFact.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

RAW=0
case ${1:-} in
  -h | --help) usage; exit 0 ;;
  --raw) RAW=1; shift ;;
esac
if [ "$SMOKE" = 1 ]; then
  : "${DEFAULT:=runs/train-default-smoke}" "${WORK:=runs/variants-smoke}" "${STEPS:=2}" "${DEV_EVERY:=1}"
  : "${PRESET_DIR:=$DEFAULT/presets}"  # beside train-default.sh's, as in encoders/
fi
DEFAULT=${DEFAULT:-runs/train-default}
WORK=${WORK:-runs/variants}
PRESET_DIR=${PRESET_DIR:-encoders}
RUN=$DEFAULT/adapt-corpus
STEPS=${STEPS:-$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["steps"])' "$RUN/train/train_config.json")}
DEV_EVERY=${DEV_EVERY:-100}
if [ $# -gt 0 ]; then VARIANTS=("$@"); else VARIANTS=(causal echo bi); fi
ADAPT_BASE=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["model"])' "$RUN/adapt/adapt_config.json")
LENGTH=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["doc_max_length"])' "$RUN/inference.json")
mkdir -p "$WORK"

for variant in "${VARIANTS[@]}"; do
  case $variant in
    causal | echo | bi) FLAGS=(--variant "$variant" --query-variant "$variant") ;;  # both sides alike
    *) echo "variants.sh: unknown variant $variant (causal, echo, bi)" >&2; exit 2 ;;
  esac
  name=$variant start=$RUN/adapt/adapter
  [ "$RAW" = 0 ] || { name=$variant-raw start=${BASE:-smollm2-135m}; }
  out=$WORK/$name
  say "$name: contrastive training with distillation ($STEPS steps, from $start)"
  [ -d "$out/train/final" ] || "$PY" -m csplade_pyserini train --config "$RUN/train/train_config.json" \
    --model "$start" --output-dir "$out/train" "${FLAGS[@]}" --steps "$STEPS" --dev-every "$DEV_EVERY" --resume
  dev=$out/dev-doc-$LENGTH
  say "$name: the best checkpoint on dev with $LENGTH-token documents"
  dev_eval "$out/train/best" "$RUN/dev" "$LENGTH" "$dev"
  encoder=$out/train/best
  if [ "$RAW" = 0 ]; then  # shares the default's adaptation adapter: csplade-smollm2-135m/{adapt,train-csplade-VARIANT}
    say "$name: shipped as the csplade-$variant preset"
    "$PY" recipes/record_preset.py "$PRESET_DIR/csplade-$variant.json" --run "$RUN" --train "$out/train/best" \
      --base "$ADAPT_BASE" --dev "$dev.json"
    encoder=csplade-$variant
  fi
  say "$name: SciFact test with the best dev checkpoint (recipes/quickstart.sh, $encoder)"
  CSPLADE_ENCODERS=$PRESET_DIR ENCODER=$encoder DOC_MAX_LENGTH=$LENGTH WORK=$out/quickstart \
    bash recipes/quickstart.sh > "$out/quickstart.md"
  [ "$RAW" = 1 ] || "$PY" recipes/record_preset.py "$PRESET_DIR/csplade-$variant.json" "$out/quickstart/report.json"
done

if [ "$RAW" = 0 ]; then
  say "default: the best preset on dev within csplade-mixed's encoding cost"
  ship_default "$PRESET_DIR" "$RUN" "$DEFAULT/default" "$WORK"
  say "default: SciFact test (recipes/quickstart.sh, csplade)"
  [ -f "$DEFAULT/default/quickstart/report.json" ] || CSPLADE_ENCODERS=$PRESET_DIR ENCODER=csplade \
    WORK=$DEFAULT/default/quickstart bash recipes/quickstart.sh > "$DEFAULT/default/quickstart.md"
  "$PY" recipes/record_preset.py "$PRESET_DIR/csplade.json" "$DEFAULT/default/quickstart/report.json"
fi

say "table: variant x start -> dev and test"
"$PY" recipes/variants_table.py "$WORK" "${VARIANTS[@]}" | tee "$WORK/table.md"
