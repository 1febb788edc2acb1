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

tap_plan 6

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

# 5. No user-visible text is left unmarked: label-like properties in .ui files without
#    translatable="yes", and literal strings passed to label, title, tooltip, placeholder and
#    toast calls in C without _(). The app's name and literals that are identifiers, URLs or
#    paths (no spaces; lower case, digits and . : / @ _ -) are not translated.
unmarked=$(
  find ui src -name '*.ui' 2>/dev/null | LC_ALL=C sort | xargs -r grep -HnE \
    '<property name="(label|title|subtitle|tooltip-text|placeholder-text|description|heading|body|text|secondary-text)"[^>]*>[^<]*[A-Za-z][^<]*</property>' \
    2>/dev/null | grep -v 'translatable="\(yes\|true\|no\|false\)"' |
    grep -vE '>(Pointsman|[a-z0-9_.:/@-]+)</property>'
  find src -name '*.c' 2>/dev/null | LC_ALL=C sort | xargs -r grep -HnE \
    '(_set_(text|label|title|subtitle|tooltip_text|placeholder_text|description|heading|body|secondary_text)|adw_toast_new|gtk_label_new|adw_message_dialog_new|adw_action_row_set_subtitle)[[:space:]]*\([^;]*"[^"]*[A-Za-z][^"]*"' \
    2>/dev/null | grep -v '_("' | grep -vE '"(Pointsman|[a-z0-9_.:/@-]+)"'
)
if [ -z "$unmarked" ]; then
  tap_ok "no label, title or tooltip text is left unmarked for translation"
else
  tap_fail "user-visible text not marked for translation (add _() or translatable=\"yes\")"
  tap_diag "$unmarked"
fi

# 6. xgettext extracts from every listed file without errors.
if command -v xgettext >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # xgettext exits 0 on files it cannot parse: its complaints fail the check too.
  if out=$("$top/build-aux/xgettext-pot.sh" "$tmp/pointsman.pot" 2>&1) &&
     ! printf '%s\n' "$out" | grep -qiE 'cannot|error|unknown'; then
    tap_ok "xgettext extracts $(($(grep -c '^msgid ' "$tmp/pointsman.pot") - 1)) messages"
  else
    tap_fail "xgettext fails on POTFILES.in"
  fi
  [ -z "$out" ] || tap_diag "$out"
else
  tap_skip "xgettext extracts" "xgettext is not installed"
fi

tap_done
