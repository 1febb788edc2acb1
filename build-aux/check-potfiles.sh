#!/bin/sh
# check-potfiles.sh: po/POTFILES.in lists every file with translatable strings and nothing
# that is not there (TAP). Translatable means: _(), N_(), C_(), NC_(), g_dngettext() or
# g_dpgettext2() in C under src/; translatable="yes" in .ui files; the desktop file, the
# AppStream metainfo and the GSettings schemas under data/.
# SPDX-License-Identifier: GPL-3.0-or-later
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/tap.sh"
cd "$top" || exit 1

potfiles=po/POTFILES.in
listed=$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$potfiles" | grep -v '^$')

tap_plan 5

# 1. Everything listed exists.
gone=""
for f in $listed; do
  [ -f "$f" ] || gone="$gone $f"
done
if [ -z "$gone" ]; then
  tap_ok "every file in POTFILES.in exists"
else
  tap_fail "POTFILES.in lists files that do not exist:$gone"
fi

# 2. Every file with translatable strings is listed.
needed=$( {
  find src -name '*.c' -o -name '*.h' 2>/dev/null | xargs -r grep -lE \
    '(^|[^A-Za-z0-9_])(_|N_|C_|NC_|g_dngettext|g_dpgettext2)[[:space:]]*\(' 2>/dev/null
  find src ui -name '*.ui' 2>/dev/null | xargs -r grep -lE 'translatable="(yes|true)"' 2>/dev/null
  find src ui -name '*.blp' 2>/dev/null | xargs -r grep -l '_("' 2>/dev/null
  ls data/*.desktop.in data/*.desktop.in.in data/*.metainfo.xml.in data/*.metainfo.xml.in.in \
     data/*.gschema.xml 2>/dev/null
} | sed 's|^\./||' | LC_ALL=C sort -u)
missing=""
for f in $needed; do
  printf '%s\n' "$listed" | grep -qxF "$f" || missing="$missing $f"
done
if [ -z "$missing" ]; then
  tap_ok "POTFILES.in lists every file with translatable strings ($(printf '%s\n' "$needed" | grep -c .))"
else
  tap_fail "files with translatable strings missing from POTFILES.in:$missing"
fi

# Listed files without translatable strings are harmless: mention them only.
extra=""
for f in $listed; do
  printf '%s\n' "$needed" | grep -qxF "$f" || extra="$extra $f"
done
[ -z "$extra" ] || tap_diag "listed but without translatable strings (yet):$extra"

# 3. Sorted, no duplicates (STYLE.md).
if [ "$(printf '%s\n' "$listed")" = "$(printf '%s\n' "$listed" | LC_ALL=C sort -u)" ]; then
  tap_ok "POTFILES.in is sorted and has no duplicates"
else
  tap_fail "POTFILES.in is not sorted or has duplicates"
  tap_diag "$(printf '%s\n' "$listed" | LC_ALL=C sort | uniq -c | awk '$1 > 1 { print "duplicate: " $2 }')"
fi

# 4. Translatable .ui files are also bundled (a listed .ui that the app never loads is dead).
unbundled=""
for f in $(printf '%s\n' "$listed" | grep '\.ui$'); do
  grep -rqF "$(basename "$f")" --include='*.gresource.xml' src ui 2>/dev/null || unbundled="$unbundled $f"
done
if [ -z "$unbundled" ]; then
  tap_ok "every listed .ui file is in a GResource bundle"
else
  tap_fail "listed .ui files in no *.gresource.xml:$unbundled"
fi

# 5. xgettext extracts from every listed file without errors.
if command -v xgettext >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  if out=$("$top/build-aux/xgettext-pot.sh" "$tmp/pointsman.pot" 2>&1); then
    tap_ok "xgettext extracts $(grep -c '^msgid ' "$tmp/pointsman.pot" 2>/dev/null || echo 0) messages"
  else
    tap_fail "xgettext fails on POTFILES.in"
  fi
  [ -z "$out" ] || tap_diag "$out"
else
  tap_skip "xgettext extracts" "xgettext is not installed"
fi

tap_done
