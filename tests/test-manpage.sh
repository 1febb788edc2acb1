#!/bin/sh
# test-manpage.sh POINTSMAN-CLI: the man pages render without warnings and pointsman-cli(1)
# documents every command and every long option the program offers (TAP).
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"

cli=$1
src=${PM_SOURCE_DIR:?}
build=${PM_BUILD_DIR:?}
page=$src/docs/pointsman-cli.1
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$build/config.h")

tap_plan 4

if command -v groff >/dev/null 2>&1; then
  out=$(for p in "$page" "$src/docs/pointsman.1"; do
          LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$p" 2>&1
        done)
  if [ -z "$out" ]; then
    tap_ok "groff -man -ww renders pointsman-cli.1 and pointsman.1 without warnings"
  else
    tap_fail "groff warns about the man pages"
    tap_diag "$out"
  fi
else
  tap_skip "groff renders the man pages" "groff is not installed"
fi

bad=""
for p in "$page" "$src/docs/pointsman.1"; do
  grep -q "^\.TH [A-Z-]* 1 \"[0-9-]*\" \"Pointsman $version\"" "$p" || bad="$bad $(basename "$p")"
done
if [ -z "$bad" ]; then
  tap_ok "the man pages carry the project version $version"
else
  tap_fail "the .TH line does not say Pointsman $version in:$bad"
fi

# The commands pointsman-cli --help lists: two leading spaces, then the name.
verbs=$("$cli" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
undocumented=""
for v in $verbs; do
  # documented as a .TP item: ".B serve", ".BI explain …", ".BI "keys set" …"
  grep -qE "^\.(B|BI|BR) \"?$v( |\"|$)" "$page" || undocumented="$undocumented $v"
done
if [ -z "$undocumented" ]; then
  tap_ok "every command is documented: $(echo $verbs)"
else
  tap_fail "commands missing from pointsman-cli.1:$undocumented"
fi

# Every long option of every command (from its --help) appears in the page.
missing=""
for v in $verbs; do
  for o in $("$cli" "$v" --help 2>&1 | grep -oE '(^|[[:space:],\[])--[a-z][a-z0-9-]*' | sed 's/^[^-]*//' | sort -u); do
    case $o in
      --help|--help-*) continue ;;
    esac
    esc=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
    grep -q -- "$esc" "$page" || missing="$missing $v:$o"
  done
done
if [ -z "$missing" ]; then
  tap_ok "every long option of every command is documented"
else
  tap_fail "options missing from pointsman-cli.1:$missing"
fi

tap_done
