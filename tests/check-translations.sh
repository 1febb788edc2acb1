#!/bin/sh
# check-translations.sh [--complete]: the translations in po/ are consistent and compile
# (TAP). With --complete: at least one language translates every message that the sources
# in po/POTFILES.in have now.
# SPDX-License-Identifier: GPL-3.0-or-later
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/tap.sh"
cd "$top/po" || exit 1

if ! command -v msgfmt >/dev/null 2>&1 || ! command -v xgettext >/dev/null 2>&1; then
  echo "1..0 # SKIP gettext is not installed"
  exit 0
fi

langs=$(sed 's/#.*//' LINGUAS | tr -s ' \t' '\n\n' | grep -v '^$')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "${1:-}" = "--complete" ]; then
  tap_plan 1
  if ! out=$("$top/build-aux/xgettext-pot.sh" "$tmp/pointsman.pot" 2>&1); then
    tap_fail "xgettext fails on POTFILES.in"
    tap_diag "$out"
    tap_done
  fi
  total=$(msgattrib --no-obsolete "$tmp/pointsman.pot" | grep -c '^msgid ')
  total=$((total - 1))   # the header
  complete=""
  for l in $langs; do
    msgmerge --quiet --no-fuzzy-matching -o "$tmp/$l.po" "$l.po" "$tmp/pointsman.pot"
    stats=$(msgfmt --statistics -o /dev/null "$tmp/$l.po" 2>&1)
    tap_diag "$l: $stats (of $total messages in the sources)"
    todo=$(msgattrib --untranslated --no-obsolete "$tmp/$l.po" | grep -c '^msgid ')
    fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$tmp/$l.po" | grep -c '^msgid ')
    if [ "$todo" -le 1 ] && [ "$fuzzy" -le 1 ]; then
      complete="$complete $l"
    else
      msgattrib --untranslated --only-fuzzy --no-obsolete --no-wrap "$tmp/$l.po" \
        | sed -n 's/^msgid "\(..*\)"$/  \1/p' | head -n 20 | sed "s/^/$l missing:/" \
        | while IFS= read -r line; do tap_diag "$line"; done
    fi
  done
  if [ -n "$complete" ]; then
    tap_ok "complete translation(s):$complete"
  else
    tap_fail "no language translates all $total messages (run build-aux/xgettext-pot.sh and msgmerge)"
  fi
  tap_done
fi

tap_plan 3

# 1. LINGUAS and the .po files agree.
bad=""
for l in $langs; do
  [ -f "$l.po" ] || bad="$bad $l(no $l.po)"
done
for f in *.po; do
  [ -f "$f" ] || continue
  printf '%s\n' "$langs" | grep -qxF "${f%.po}" || bad="$bad $f(not in LINGUAS)"
done
if [ -n "$langs" ] && [ -z "$bad" ]; then
  tap_ok "LINGUAS and the .po files agree: $(echo $langs)"
else
  tap_fail "LINGUAS and the .po files disagree:$bad"
fi

# 2. Every .po compiles with format strings checked and declares its language and charset.
bad=""
for l in $langs; do
  out=$(msgfmt --check --statistics -o "$tmp/$l.mo" "$l.po" 2>&1) || bad="$bad $l"
  grep -q "^\"Language: $l\\\\n\"" "$l.po" || bad="$bad $l(Language header)"
  grep -q '^"Content-Type: text/plain; charset=UTF-8\\n"' "$l.po" || bad="$bad $l(charset)"
  tap_diag "$l: $out"
done
if [ -z "$bad" ]; then
  tap_ok "msgfmt --check passes for every language"
else
  tap_fail "msgfmt --check fails or headers are wrong for:$bad"
fi

# 3. A translation reaches a program: the compiled catalog turns a message into German.
if printf '%s\n' "$langs" | grep -qxF de && command -v gettext >/dev/null 2>&1; then
  mkdir -p "$tmp/locale/de/LC_MESSAGES"
  cp "$tmp/de.mo" "$tmp/locale/de/LC_MESSAGES/pointsman.mo"
  # The C.UTF-8 locale always exists; LANGUAGE picks the catalog.
  got=$(LC_ALL=C.UTF-8 LANGUAGE=de TEXTDOMAINDIR="$tmp/locale" TEXTDOMAIN=pointsman gettext "Model Router")
  if [ "$got" = "Modell-Router" ]; then
    tap_ok "the compiled de catalog translates \"Model Router\" to \"$got\""
  else
    tap_fail "the compiled de catalog gives \"$got\" for \"Model Router\""
  fi
else
  tap_skip "the compiled catalog translates" "no de translation or no gettext(1)"
fi

tap_done
