#!/bin/sh
# Reproduces every table and chart of docs/EVALUATION.md from the public data.
#
#   build-aux/eval-charts.sh [BUILD-DIR]      (default: build)
#
# Reads the data from $PM_SHARED_DATA (default ../shared/data; it is never copied into the
# repository), writes the CLI outputs (text and JSON) to BUILD-DIR/eval/ and the PNG charts to
# docs/img/. The charts are drawn by bench/eval-plot.c (cairo) from the JSON alone.
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
DATA=${PM_SHARED_DATA:-../shared/data}
OUT=$B/eval
CLI=$B/src/cli/pointsman-cli
mkdir -p "$OUT" docs/img

ninja -C "$B" src/cli/pointsman-cli >/dev/null
# shellcheck disable=SC2046
cc -O2 -o "$OUT/eval-plot" bench/eval-plot.c $(pkg-config --cflags --libs cairo json-glib-1.0) -lm
PLOT=$OUT/eval-plot

P=$DATA/swebench_verified_problems.jsonl
R=$DATA/swebench_verified_bash_only_per_instance.csv
run () { name=$1; shift; "$CLI" eval "$@" > "$OUT/$name.txt"; "$CLI" eval "$@" --json > "$OUT/$name.json"; }

"$CLI" eval swebench --train-problems "$P" --train-results "$R" --json-out "$OUT/swebench.json" > "$OUT/swebench.txt"
run livecodebench livecodebench --data "$DATA/livecodebench_generation_2025-04-28.csv"
run livecodebench-o1 livecodebench --data "$DATA/livecodebench_generation_2025-01-15.csv"
run routerbench routerbench --train "$DATA/routerbench_mbpp_train.csv" --test "$DATA/routerbench_mbpp_test.csv"
T=$DATA/claude_code_transcripts
run transcripts transcripts "$T"/*.jsonl "$T"/ae4a77f8-aedd-4bc1-888f-c94edc91af04/subagents/*.jsonl
"$CLI" train --problems "$P" --results "$R" -o "$OUT/weights-local-swebench.bin" > "$OUT/train.txt"

"$PLOT" frontier "$OUT/swebench.json" docs/img/eval-swebench.png \
  "SWE-bench Verified, 350 tasks, 5-fold cross-validation"
"$PLOT" frontier "$OUT/livecodebench.json" docs/img/eval-livecodebench-o4-mini.png \
  "LiveCodeBench 2025-04-28: effort per problem" 1
"$PLOT" frontier "$OUT/routerbench.json" docs/img/eval-routerbench.png \
  "RouterBench MBPP: 128 held-out prompts"
"$PLOT" transcripts "$OUT/transcripts.json" docs/img/eval-transcripts.png \
  "Cache economics"
echo "Outputs in $OUT, charts in docs/img/"
