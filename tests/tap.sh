# tap.sh: a few TAP helpers for the shell tests (sourced, POSIX sh).
# SPDX-License-Identifier: GPL-3.0-or-later
#
#   tap_plan N         print the plan
#   tap_ok MSG         a passing test point
#   tap_fail MSG       a failing test point (the script still runs to the end)
#   tap_check MSG CMD… run CMD, ok when it exits 0; its output becomes '#' diagnostics
#   tap_skip MSG WHY   a skipped test point
#   tap_diag TEXT      a diagnostic line
#   tap_done           exit 1 when any point failed

tap_n=0
tap_failed=0

tap_plan ()
{
  echo "1..$1"
}

tap_ok ()
{
  tap_n=$((tap_n + 1))
  echo "ok $tap_n - $1"
}

tap_fail ()
{
  tap_n=$((tap_n + 1))
  tap_failed=$((tap_failed + 1))
  echo "not ok $tap_n - $1"
}

tap_skip ()
{
  tap_n=$((tap_n + 1))
  echo "ok $tap_n - $1 # SKIP $2"
}

tap_diag ()
{
  printf '%s\n' "$@" | sed 's/^/# /'
}

tap_check ()
{
  _msg=$1
  shift
  if _out=$("$@" 2>&1); then
    tap_ok "$_msg"
  else
    tap_fail "$_msg"
  fi
  if [ -n "$_out" ]; then
    tap_diag "$_out"
  fi
}

tap_done ()
{
  [ "$tap_failed" -eq 0 ]
  exit $?
}
