#!/bin/sh
# check-desktop.sh DESKTOP-FILE: validates the built desktop file (TAP).
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"

desktop=$1
app_id=${PM_APP_ID:-io.github.pointsman.Pointsman}
src=${PM_SOURCE_DIR:?}
build=${PM_BUILD_DIR:?}

tap_plan 6

if command -v desktop-file-validate >/dev/null 2>&1; then
  out=$(desktop-file-validate "$desktop" 2>&1)
  rc=$?
  # Hints are advice; errors and warnings fail.
  if [ $rc -eq 0 ] && ! printf '%s\n' "$out" | grep -qE ': (error|warning):'; then
    tap_ok "desktop-file-validate $(basename "$desktop")"
  else
    tap_fail "desktop-file-validate $(basename "$desktop")"
  fi
  [ -z "$out" ] || tap_diag "$out"
else
  tap_skip "desktop-file-validate" "desktop-file-validate is not installed"
fi

key ()
{
  sed -n "/^\[Desktop Entry\]/,/^\[/s/^$1=//p" "$desktop" | head -n 1
}

if [ "$(basename "$desktop")" = "$app_id.desktop" ]; then
  tap_ok "file is named after the app id ($app_id.desktop)"
else
  tap_fail "file is named after the app id: $(basename "$desktop") is not $app_id.desktop"
fi

icon=$(key Icon)
if [ "$icon" = "$app_id" ] &&
   [ -f "$src/data/icons/hicolor/scalable/apps/$app_id.svg" ] &&
   [ -f "$src/data/icons/hicolor/symbolic/apps/io.github.pointsman.Pointsman-symbolic.svg" ]; then
  tap_ok "Icon=$icon and the scalable and symbolic icons exist"
else
  tap_fail "Icon=$icon should be $app_id with icons in data/icons/hicolor"
fi

exe=$(key Exec | cut -d' ' -f1)
if [ -n "$exe" ] && [ -x "$build/src/app/$exe" ]; then
  tap_ok "Exec=$exe is the app the build produces"
else
  tap_fail "Exec=$exe is not an executable in $build/src/app"
fi

missing=""
for k in Name GenericName Comment Keywords Categories; do
  [ -n "$(key $k)" ] || missing="$missing $k"
done
if [ -z "$missing" ] && key Keywords | grep -q ';$' && key Categories | grep -q ';$'; then
  tap_ok "Name, GenericName, Comment, Keywords and Categories are set"
else
  tap_fail "missing or malformed keys:$missing"
fi

langs=$(sed 's/#.*//' "$src/po/LINGUAS" 2>/dev/null | tr -s ' \t' '\n\n' | grep -v '^$')
if [ -z "$langs" ]; then
  tap_skip "translations merged" "po/LINGUAS is empty"
else
  bad=""
  for l in $langs; do
    grep -q "^Comment\[$l\]=" "$desktop" || bad="$bad $l"
  done
  if [ -z "$bad" ]; then
    tap_ok "translations merged for: $(echo $langs)"
  else
    tap_fail "no translated Comment for:$bad"
  fi
fi

tap_done
