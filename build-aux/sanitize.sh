#!/bin/sh
# The test suite under the sanitizers, one command each:
#
#   build-aux/sanitize.sh asan       # whole suite, ASan + UBSan (+ LSan), build dir build-asan
#   build-aux/sanitize.sh valgrind   # core tests under valgrind memcheck, build dir build-harden
#   build-aux/sanitize.sh            # both
#
# Extra arguments go to `meson test` (e.g. a test name: `build-aux/sanitize.sh asan guard`).
# Any ASan/UBSan/LSan report or valgrind error fails the test that produced it. Suppressions:
# build-aux/lsan.supp (system libraries only) and GLib's own glib.supp for valgrind.
# Runs like build-aux/test.sh: Xvfb, a private D-Bus session and an unlocked gnome-keyring in a
# throwaway HOME, with GSK_RENDERER=cairo for the UI tests.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
mode=${1:-all}
[ $# -gt 0 ] && shift

run_headless () {
  # $1 = build dir, rest = meson test arguments
  dir=$1
  shift
  HOME="$(mktemp -d)"
  XDG_RUNTIME_DIR="$(mktemp -d)"
  chmod 700 "$XDG_RUNTIME_DIR"
  export HOME XDG_RUNTIME_DIR
  export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share" XDG_CACHE_HOME="$HOME/.cache"
  status=0
  xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- sh -c '
    echo -n ci-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    dir=$1; shift
    meson test -C "$dir" --print-errorlogs --num-processes 2 "$@"
  ' sh "$dir" "$@" || status=$?
  rm -rf "$HOME" "$XDG_RUNTIME_DIR"
  python3 - "$dir/meson-logs" <<'PY'
import glob, json, os, sys
# meson names the log after the wrapper (testlog-valgrind.json): take the newest.
log = max(glob.glob(os.path.join(sys.argv[1], "testlog*.json")), key=os.path.getmtime)
rows = [json.loads(l) for l in open(log) if l.strip()]
res = [r["result"] for r in rows]
bad = [r["name"] for r in rows if r["result"] in ("FAIL", "ERROR", "TIMEOUT", "UNEXPECTEDPASS")]
ok = res.count("OK") + res.count("EXPECTEDFAIL")
print(f"{ok} passed, {len(bad)} failed, {res.count('SKIP')} skipped" + (f" ({', '.join(bad)})" if bad else ""))
PY
  return $status
}

run_asan () {
  dir=build-asan
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" -Dapp=enabled -Db_sanitize=address,undefined -Db_lundef=false \
      -Dbuildtype=debug >/dev/null
  fi
  ninja -C "$dir" -j 2
  # fast_unwind_on_malloc=0: full stacks, so the system-library suppressions match.
  # log_path: every report, also from child processes whose exit status a test does not check
  # (pointsman-cli serve, eval, the npm clients' proxy), lands in $reports and fails the run.
  reports=$(mktemp -d)
  export ASAN_OPTIONS="fast_unwind_on_malloc=0:detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=0:log_path=$reports/asan"
  export LSAN_OPTIONS="suppressions=$top/build-aux/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
  export GSK_RENDERER=cairo
  export PM_FUZZ_REPLAY_MUTATIONS=${PM_FUZZ_REPLAY_MUTATIONS:-60}
  echo "== ASan + UBSan: $dir"
  s=0
  run_headless "$dir" --timeout-multiplier 4 "$@" || s=$?
  n=$(find "$reports" -type f | wc -l)
  if [ "$n" -gt 0 ]; then
    echo "== $n sanitizer report(s) (any process):"
    for f in "$reports"/*; do echo "--- $f"; cat "$f"; done
    [ $s -ne 0 ] || s=1
  else
    echo "== no sanitizer reports from any process"
  fi
  rm -rf "$reports"
  return $s
}

run_valgrind () {
  dir=build-harden
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" -Dapp=enabled >/dev/null
  fi
  ninja -C "$dir" -j 2
  supp=/usr/share/glib-2.0/valgrind/glib.supp
  export G_SLICE=always-malloc G_DEBUG=gc-friendly
  export PM_FUZZ_REPLAY_MUTATIONS=${PM_FUZZ_REPLAY_MUTATIONS:-10}
  echo "== valgrind memcheck: core tests in $dir"
  run_headless "$dir" --suite core --timeout-multiplier 10 \
    --wrapper "valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --track-origins=yes --suppressions=$supp --suppressions=$top/build-aux/valgrind.supp" \
    "$@"
}

case "$mode" in
  asan) run_asan "$@" ;;
  valgrind) run_valgrind "$@" ;;
  all) s=0; run_asan "$@" || s=$?; run_valgrind "$@" || s=$?; exit $s ;;
  *) echo "usage: $0 [asan|valgrind|all] [meson test args]"; exit 2 ;;
esac
