#!/bin/sh
# Fuzz the parsers with libFuzzer (clang, ASan + UBSan).
#
#   build-aux/fuzz.sh                 # CI: every target for 60 s
#   build-aux/fuzz.sh 3600            # long run: an hour per target
#   build-aux/fuzz.sh 600 sse guard   # some targets only
#
# Targets (fuzz/pm-fuzz-targets.c): request, sse, translate-request, translate-response,
# translate-stream, guard. Seeds come from tests/fixtures (written by test-fuzz-replay
# --write-seeds) plus fuzz/corpus/<target>/. New interesting inputs collect in
# build-fuzz/corpus/<target>/; crashes land in build-fuzz/crashes/. For every crash: copy the
# file into fuzz/corpus/<target>/ (tests/test-fuzz-replay then replays it in the normal suite)
# and fix the bug. Exit status is non-zero when any target crashed.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-"request sse translate-request translate-response translate-stream guard"}
builddir=${PM_FUZZ_BUILDDIR:-build-fuzz}
jobs=${PM_FUZZ_JOBS:-1}
# PM_FUZZ_SEED: a fixed libFuzzer seed, so that a run (CI's) can be repeated; unset = random.
seed=${PM_FUZZ_SEED:-}

command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (apt-get install clang libclang-rt-dev)"; exit 1; }

if [ ! -f "$builddir/build.ninja" ]; then
  CC=clang meson setup "$builddir" -Dapp=disabled -Dtests=true \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args=-fsanitize=fuzzer-no-link >/dev/null
fi
ninja -C "$builddir" -j 2 src/core/libpointsman-core.a tests/test-fuzz-replay >/dev/null

deps="glib-2.0 gio-2.0 gio-unix-2.0 json-glib-1.0 libsoup-3.0 libsecret-1 sqlite3"
mkdir -p "$builddir/fuzzers" "$builddir/seeds" "$builddir/crashes"
rm -rf "$builddir/seeds"/*
ASAN_OPTIONS=detect_leaks=0 "$builddir/tests/test-fuzz-replay" --write-seeds "$builddir/seeds"

export ASAN_OPTIONS="${ASAN_OPTIONS:-fast_unwind_on_malloc=0:detect_leaks=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$top/build-aux/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export G_SLICE=always-malloc

failed=""
for t in $targets; do
  func=pm_fuzz_$(echo "$t" | tr - _)
  exe="$builddir/fuzzers/fuzz-$t"
  # shellcheck disable=SC2046
  clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -DPM_FUZZ_FUNC="$func" -I"$builddir" -Isrc/core -Ifuzz \
    fuzz/fuzz-main.c fuzz/pm-fuzz-targets.c "$builddir/src/core/libpointsman-core.a" \
    $(pkg-config --cflags --libs $deps) -lm -o "$exe"

  mkdir -p "$builddir/corpus/$t" "fuzz/corpus/$t"
  echo "== $t: ${seconds}s"
  parallel=""
  # -jobs makes libFuzzer write fuzz-N.log into the current directory: only when asked.
  [ "$jobs" -gt 1 ] && parallel="-jobs=$jobs -workers=$jobs"
  [ -n "$seed" ] && parallel="$parallel -seed=$seed"
  # shellcheck disable=SC2086
  if ! "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        $parallel -print_final_stats=1 \
        -artifact_prefix="$builddir/crashes/$t-" \
        "$builddir/corpus/$t" "$builddir/seeds/$t" "fuzz/corpus/$t" \
        >"$builddir/fuzz-$t.log" 2>&1; then
    failed="$failed $t"
    tail -40 "$builddir/fuzz-$t.log"
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$builddir/fuzz-$t.log" | sed "s/^/   $t /" || true
done

if [ -n "$failed" ]; then
  echo "fuzz.sh: crashes in:$failed (inputs in $builddir/crashes/)"
  exit 1
fi
echo "fuzz.sh: no crash in $targets"
