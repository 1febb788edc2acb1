#!/bin/sh
# test-install.sh: "meson install --destdir" really installs what a user needs (TAP):
# the programs, the catalog, the desktop file, the metainfo, the icons, the GSettings
# schemas, the translations and the man pages, and the installed files are usable.
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"

build=${PM_BUILD_DIR:?}
src=${PM_SOURCE_DIR:?}
meson=${MESON:-meson}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root

tap_plan 12

if out=$("$meson" install -C "$build" --no-rebuild --destdir "$dest" 2>&1); then
  tap_ok "meson install --destdir"
  tap_diag "$(printf '%s\n' "$out" | grep -c '^Installing') files installed"
else
  tap_fail "meson install --destdir"
  tap_diag "$out"
fi

# Where things go, as the build dir was configured.
eval "$("$meson" introspect "$build" --buildoptions | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
p = o["prefix"]
for k in ("bindir", "datadir", "mandir", "localedir"):
    v = o[k] if o[k].startswith("/") else p + "/" + o[k]
    print(f"{k}={v!r}")
')"
app_id=$(sed -n 's/^#define APP_ID "\(.*\)"$/\1/p' "$build/config.h")
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$build/config.h")

expect ()
{
  # expect MSG FILE… : every FILE exists (non-empty) under the destdir
  _msg=$1
  shift
  _missing=""
  for _f in "$@"; do
    [ -s "$dest$_f" ] || _missing="$_missing $_f"
  done
  if [ -z "$_missing" ]; then
    tap_ok "$_msg"
  else
    tap_fail "$_msg: missing$_missing"
  fi
}

# 1. Programs, and they run from where they were installed.
if [ -x "$dest$bindir/pointsman" ] && [ -x "$dest$bindir/pointsman-cli" ] &&
   [ "$("$dest$bindir/pointsman-cli" --version)" = "pointsman-cli $version" ]; then
  tap_ok "pointsman and pointsman-cli in $bindir; pointsman-cli --version runs"
else
  tap_fail "pointsman and pointsman-cli in $bindir (and pointsman-cli --version = $version)"
fi

# 2. The model catalog, valid JSON.
if [ -s "$dest$datadir/pointsman/catalog.json" ] &&
   python3 -m json.tool "$dest$datadir/pointsman/catalog.json" >/dev/null 2>&1; then
  tap_ok "catalog.json in $datadir/pointsman"
else
  tap_fail "catalog.json in $datadir/pointsman is missing or not JSON"
fi

# 3. The desktop file, valid where it was installed.
desktop=$datadir/applications/$app_id.desktop
exec_bin=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$dest$desktop" 2>/dev/null | head -n 1)
if [ -s "$dest$desktop" ] && { ! command -v desktop-file-validate >/dev/null 2>&1 ||
     desktop-file-validate "$dest$desktop" >/dev/null 2>&1; } &&
   [ -n "$exec_bin" ] && [ -x "$dest$bindir/$exec_bin" ]; then
  tap_ok "desktop file $desktop, its Exec=$exec_bin installed in $bindir"
else
  tap_fail "desktop file $desktop is missing or invalid"
fi

# 4. The metainfo.
metainfo=$datadir/metainfo/$app_id.metainfo.xml
provided_ok=yes
for b in $(sed -n 's|.*<binary>\(.*\)</binary>.*|\1|p' "$dest$metainfo" 2>/dev/null); do
  [ -x "$dest$bindir/$b" ] || provided_ok=no
done
if [ -s "$dest$metainfo" ] && { ! command -v appstreamcli >/dev/null 2>&1 ||
     appstreamcli validate --no-net "$dest$metainfo" >/dev/null 2>&1; } &&
   grep -q "<launchable type=\"desktop-id\">$app_id.desktop</launchable>" "$dest$metainfo" &&
   [ "$provided_ok" = yes ]; then
  tap_ok "metainfo $metainfo, its launchable and provided binaries installed"
else
  tap_fail "metainfo $metainfo is missing or invalid"
fi

# 5. Icons, named after the app id so the desktop file's Icon= finds them.
icon=$(sed -n 's/^Icon=//p' "$dest$desktop" 2>/dev/null)
expect "icons $icon.svg and $icon-symbolic.svg in hicolor" \
  "$datadir/icons/hicolor/scalable/apps/$icon.svg" \
  "$datadir/icons/hicolor/symbolic/apps/$icon-symbolic.svg"

# 6. GSettings schemas, and they compile where they were installed.
schemas=""
for f in "$src"/data/*.gschema.xml; do
  [ -f "$f" ] && schemas="$schemas $datadir/glib-2.0/schemas/$(basename "$f")"
done
if [ -z "$schemas" ]; then
  tap_skip "GSettings schemas" "the project has no schema"
else
  # shellcheck disable=SC2086
  expect "GSettings schemas in $datadir/glib-2.0/schemas" $schemas
  if [ -d "$dest$datadir/glib-2.0/schemas" ] && command -v glib-compile-schemas >/dev/null 2>&1; then
    glib-compile-schemas --strict --dry-run "$dest$datadir/glib-2.0/schemas" ||
      tap_diag "installed schemas do not compile"
  fi
fi

# 7. Translations, one catalog per language in LINGUAS.
mos=""
langs=$(sed 's/#.*//' "$src/po/LINGUAS" | tr -s ' \t' '\n\n' | grep -v '^$' | tr '\n' ' ')
for l in $langs; do
  mos="$mos $localedir/$l/LC_MESSAGES/pointsman.mo"
done
if [ -z "$mos" ]; then
  tap_fail "translations: po/LINGUAS is empty"
else
  # shellcheck disable=SC2086
  expect "translations for: $langs" $mos
fi

# The installed German catalog and desktop file are really German.
if [ -s "$dest$localedir/de/LC_MESSAGES/pointsman.mo" ] && command -v gettext >/dev/null 2>&1; then
  got=$(LC_ALL=C.UTF-8 LANGUAGE=de TEXTDOMAINDIR="$dest$localedir" gettext -d pointsman "Model Router")
  if [ "$got" = "Modell-Router" ] && grep -q '^Comment\[de\]=' "$dest$desktop"; then
    tap_ok "the installed catalog and desktop file speak German"
  else
    tap_fail "installed de catalog gives \"$got\" for \"Model Router\", or no Comment[de]"
  fi
else
  tap_skip "the installed catalog speaks German" "no de catalog installed or no gettext(1)"
fi

# 8. Man pages, readable by man.
expect "man pages pointsman-cli.1 and pointsman.1 in $mandir/man1" \
  "$mandir/man1/pointsman-cli.1" "$mandir/man1/pointsman.1"
if command -v man >/dev/null 2>&1 && [ -s "$dest$mandir/man1/pointsman-cli.1" ]; then
  MANWIDTH=80 man -l "$dest$mandir/man1/pointsman-cli.1" 2>/dev/null | grep -q "pointsman-cli serve" ||
    tap_diag "man -l cannot render the installed pointsman-cli.1"
fi

# 9. Everything meson says it installs is there, and nothing lands outside the prefix.
if "$meson" introspect "$build" --installed | python3 -c '
import json, os, sys
dest = sys.argv[1]
missing = [p for p in json.load(sys.stdin).values() if not os.path.lexists(dest + p)]
print("\n".join("missing: " + p for p in missing))
sys.exit(1 if missing else 0)
' "$dest" >"$tmp/introspect" 2>&1; then
  tap_ok "every file in meson introspect --installed is in the destdir"
else
  tap_fail "files meson would install are missing"
  tap_diag "$(cat "$tmp/introspect")"
fi

prefix=$("$meson" introspect "$build" --buildoptions | python3 -c '
import json, sys
print([x["value"] for x in json.load(sys.stdin) if x["name"] == "prefix"][0])')
outside=$(cd "$dest" && find . -type f | sed 's|^\.||' | grep -v "^$prefix/" | head -n 5)
if [ -z "$outside" ]; then
  tap_ok "nothing is installed outside the prefix $prefix"
else
  tap_fail "installed outside the prefix: $outside"
fi

tap_done
