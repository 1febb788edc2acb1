#!/bin/sh
# test-fuzz.sh: every libFuzzer target of build-aux/fuzz.sh for a short run (issue 7: "a short
# run, about a minute each, in CI"), one TAP point per target: ok when libFuzzer found no crash,
# leak or UBSan report in PM_FUZZ_SECONDS (default 45) seconds.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The clang ASan build lives in PM_FUZZ_BUILDDIR (default: fuzz/ inside the meson build dir);
# the first run compiles the core there. Long runs: build-aux/fuzz.sh 3600 (docs/HARDENING.md).
. "$(dirname "$0")/tap.sh"

src=${PM_SOURCE_DIR:?}
build=${PM_BUILD_DIR:?}
seconds=${PM_FUZZ_SECONDS:-45}
targets="request sse translate-request translate-response translate-stream guard"
PM_FUZZ_BUILDDIR=${PM_FUZZ_BUILDDIR:-$build/fuzz}
export PM_FUZZ_BUILDDIR
# A fixed seed in the suite, so a red run can be repeated exactly with the same command; the
# long runs of build-aux/fuzz.sh (docs/HARDENING.md) leave it unset and explore at random.
PM_FUZZ_SEED=${PM_FUZZ_SEED:-1}
export PM_FUZZ_SEED
# meson test sets its own ASAN_OPTIONS/UBSAN_OPTIONS: let fuzz.sh use its own (leaks on,
# full stacks for the suppressions, halt on UBSan).
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS MALLOC_PERTURB_ MALLOC_CHECK_

tap_plan 6

if ! command -v clang >/dev/null 2>&1; then
  for t in $targets; do
    tap_skip "fuzz $t" "clang is not installed (build-aux/install-deps.sh --test)"
  done
  exit 0
fi

for t in $targets; do
  if out=$("$src/build-aux/fuzz.sh" "$seconds" "$t" 2>&1); then
    tap_ok "fuzz $t: ${seconds} s without a crash"
  else
    tap_fail "fuzz $t: crash, leak or build failure (inputs in $PM_FUZZ_BUILDDIR/crashes/)"
  fi
  tap_diag "$out"
done

tap_done
