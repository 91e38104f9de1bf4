# Plumbing shared by the recipes (sourced by them, not run). After sourcing, the working directory is
# the repository root and these are set:
#   PY        the Python that runs csplade and Pyserini (default .venv/bin/python, made by setup.sh
#             unless CSPLADE_SKIP_SETUP=1); every tool is called as "$PY" -m csplade_pyserini ... /
#             "$PY" -m pyserini...
#   SMOKE     1 = smoke mode: a tiny random model and a slice of BEIR SciFact, to check the commands
#   IR_DATASETS_HOME  see irds_home below
# and these functions are defined: usage, no_arguments, say, irds_home, smoke_model, export_data,
# launch, check_expected, dev_eval, tune_fusion, ship_default, finish_run.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$(pwd)
SMOKE=${SMOKE:-0}

if [ "${CSPLADE_SKIP_SETUP:-0}" != 1 ] && [ -z "${PY:-}" ]; then  # PY given: use that Python
  bash recipes/setup.sh
fi
PY=${PY:-.venv/bin/python}
export HF_HUB_DISABLE_PROGRESS_BARS=${HF_HUB_DISABLE_PROGRESS_BARS:-1} TOKENIZERS_PARALLELISM=false
# Smoke mode runs tiny models, often several processes at once: one thread each is much faster on a busy CPU.
[ "$SMOKE" = 1 ] && export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

# usage: print the recipe's header comment (its --help).
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

# no_arguments "$@": for a recipe that takes none: --help prints its header, anything else is an error.
no_arguments() {
  case ${1:-} in
    -h | --help) usage; exit 0 ;;
    "") ;;
    *) echo "$(basename "$0"): unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
}

say() { printf '\n[%s %ss] %s\n' "$(basename "$0" .sh)" "$SECONDS" "$*" >&2; }

# ir_datasets downloads into $IR_DATASETS_HOME (default ~/.ir_datasets). When it is unset and the
# project's read-only copy of the data sits next to the repository (../shared/ir_datasets, on offline
# machines), point it at a link farm in WORK_DIR: ir_datasets writes into its home, so it cannot use the
# read-only folder itself, and linking each dataset folder (beir/scifact) leaves the others free to
# download.
irds_home() {
  local shared=$REPO/../shared/ir_datasets dataset
  if [ -n "${IR_DATASETS_HOME:-}" ] || [ ! -d "$shared" ]; then return; fi
  mkdir -p "$1"
  export IR_DATASETS_HOME=$(cd "$1" && pwd)/ir_datasets
  for dataset in "$shared"/*/*; do
    [ -d "$dataset" ] || continue
    mkdir -p "$IR_DATASETS_HOME/$(basename "$(dirname "$dataset")")"
    ln -sfn "$(cd "$dataset" && pwd)" "$IR_DATASETS_HOME/${dataset#"$shared"/}"
  done
  say "IR_DATASETS_HOME=$IR_DATASETS_HOME (links to $shared)"
}

# smoke_model DIR: a tiny random encoder directory (made once).
smoke_model() {
  [ -d "$1" ] || "$PY" recipes/smoke.py model "$1" >/dev/null
  echo "$1"
}

# export_data DATASET DIR QUERIES DOCS: DIR/topics.tsv, DIR/qrels.txt and DIR/corpus/docs.jsonl of an
# ir_datasets id (each made once). In smoke mode the whole set goes to DIR-full and DIR holds a slice of it:
# QUERIES queries, their relevant documents and random others up to DOCS documents.
export_data() {
  local dataset=$1 dir=$2 raw=$2
  [ "$SMOKE" = 1 ] && raw=$dir-full
  [ -f "$raw/topics.tsv" ] || "$PY" -m csplade_pyserini topics "$dataset" --output "$raw/topics.tsv"
  [ -f "$raw/qrels.txt" ] || "$PY" -m csplade_pyserini qrels "$dataset" --output "$raw/qrels.txt"
  [ -f "$raw/corpus/docs.jsonl" ] || "$PY" -m csplade_pyserini corpus "$dataset" --output "$raw/corpus" >&2
  if [ "$SMOKE" = 1 ]; then
    "$PY" recipes/smoke.py subset --data "$raw" --output "$dir" --queries "$3" --docs "$4" >&2
  fi
}

# launch N ARGS...: `csplade ARGS` on N processes through accelerate's launcher (torchrun; where there is no
# GPU, a gloo group on the CPU): training splits every batch over them, encoding gives process i shard i
# (on GPU i with --device cuda). N = 1 runs the command directly.
launch() {
  local processes=$1
  shift
  if [ "$processes" -gt 1 ]; then
    "$PY" -m accelerate.commands.launch --multi_gpu --num_processes "$processes" --num_machines 1 \
      --main_process_port 0 \
      --dynamo_backend no -m csplade_pyserini "$@"
  else
    "$PY" -m csplade_pyserini "$@"
  fi
}

# check_expected RECIPE REPORT_JSON: compare a report with recipes/expected.yaml (smoke rows in smoke mode).
check_expected() {
  "$PY" -m csplade_pyserini check --recipe "$1" --report "$2" --expected recipes/expected.yaml \
    --mode "$([ "$SMOKE" = 1 ] && echo smoke || echo full)"
}

# dev_eval ENCODER DEV LENGTH OUT: `csplade dev-eval` of ENCODER on DEV/{dev-topics.tsv,dev-qrels.txt,corpus}
# with LENGTH-token documents -> OUT.trec and OUT.json (written last: an interrupted one reruns, a finished
# one is kept).
dev_eval() {
  [ -f "$4.json" ] && return
  "$PY" -m csplade_pyserini dev-eval --encoder "$1" --topics "$2/dev-topics.tsv" --qrels "$2/dev-qrels.txt" \
    --corpus "$2/corpus" --doc-max-length "$3" --output "$4.trec" > "$4.json.tmp"
  mv "$4.json.tmp" "$4.json"
}

# The fusion settings `csplade fuse --tune` tries on dev (smoke mode: one of each).
if [ "$SMOKE" = 1 ]; then FUSION_GRID=(--grid-rrf-ks 60 --grid-alphas 0.5); else FUSION_GRID=(); fi

# tune_fusion RUN DEV FUSED SETTINGS: `csplade fuse --tune` of RUN with DEV/bm25.trec on DEV/dev-qrels.txt: the
# fused dev run in FUSED, the settings chosen in SETTINGS. Kept: with SETTINGS there, it does nothing.
tune_fusion() {
  [ -f "$4" ] && return
  "$PY" -m csplade_pyserini fuse --tune --qrels "$2/dev-qrels.txt" --runs "$1" "$2/bm25.trec" --output "$3" \
    "${FUSION_GRID[@]}"
  cp "$3.json" "$4"
}

# ship_default PRESET_DIR RUN OUT [VARIANTS]: the default `csplade` preset = the best preset on dev within
# the encoding cost of RUN's document length (recipes/choose_default.py: csplade-mixed, trained by RUN, and
# the variants finished in VARIANTS), with its fusion with BM25 tuned on dev. OUT/choice.{json,md},
# OUT/fusion.json; another chosen model or length drops OUT's fusion and test run (OUT/quickstart), the same
# one keeps its test scores in the preset.
ship_default() {
  local budget
  budget=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["doc_max_length"])' "$2/inference.json")
  mkdir -p "$3"
  "$PY" recipes/choose_default.py "$2" --budget "$budget" --output "$3/choice.json.tmp" ${4:+--variants "$4"} \
    > "$3/choice.md"
  if ! "$PY" -c 'import json, sys; a, b = (json.load(open(f)) for f in sys.argv[1:])
sys.exit(any(a[k] != b[k] for k in ("preset", "doc_max_length", "dev_ndcg10")))' "$3/choice.json.tmp" "$3/choice.json" \
    2>/dev/null; then rm -rf "$3/fusion.json" "$3/quickstart"; fi  # another model or length: tune and test again
  mv "$3/choice.json.tmp" "$3/choice.json"
  [ -f "$3/fusion.json" ] || rm -rf "$3/quickstart"  # a fusion tuned again is tested again
  cat "$3/choice.md" >&2
  tune_fusion "$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["dev_run"])' "$3/choice.json")" \
    "$2/dev" "$3/fused.trec" "$3/fusion.json"
  "$PY" recipes/record_preset.py "$1/csplade.json" --choice "$3/choice.json" --fusion "$3/fusion.json"
  if [ -f "$3/quickstart/report.json" ]; then  # the same choice's test run (a new choice removed it above)
    "$PY" recipes/record_preset.py "$1/csplade.json" "$3/quickstart/report.json"
  fi
}

# finish_run RUN: move the run file that a search wrote to RUN.tmp onto RUN, unless it is empty.
finish_run() {
  if [ ! -s "$1.tmp" ]; then
    echo "$(basename "$0"): the search wrote no hits to $1.tmp (are all query terms in every document?)" >&2
    return 1
  fi
  mv "$1.tmp" "$1"
}
