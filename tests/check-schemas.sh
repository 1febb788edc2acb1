#!/bin/sh
# check-schemas.sh: validates the GSettings schemas in data/ (TAP). Skips until one exists.
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"

src=${PM_SOURCE_DIR:?}
build=${PM_BUILD_DIR:?}

set -- "$src"/data/*.gschema.xml
if [ ! -f "$1" ]; then
  echo "1..0 # SKIP no data/*.gschema.xml yet"
  exit 0
fi

tap_plan 3

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$@" "$tmp/"

if command -v glib-compile-schemas >/dev/null 2>&1; then
  tap_check "glib-compile-schemas --strict" glib-compile-schemas --strict --targetdir="$tmp" "$tmp"
else
  tap_skip "glib-compile-schemas --strict" "glib-compile-schemas is not installed"
fi

# Every key has a summary and a description; numbers have a range; the schema is translated in
# the app's gettext domain and its path follows its id.
tap_check "every key has a summary, a description and a range for numbers" \
  python3 - "$@" <<'PY'
import sys
import xml.etree.ElementTree as ET

errors = []
for path in sys.argv[1:]:
    root = ET.parse(path).getroot()
    name = path.rsplit("/", 1)[-1]
    if root.get("gettext-domain") != "pointsman":
        errors.append(f"{name}: <schemalist> has no gettext-domain=\"pointsman\"")
    enums = {e.get("id") for e in root.findall("enum")} | {e.get("id") for e in root.findall("flags")}
    for schema in root.findall("schema"):
        sid = schema.get("id", "")
        if not sid.startswith("io.github.pointsman.Pointsman"):
            errors.append(f"{name}: schema id {sid} is outside io.github.pointsman.Pointsman")
        path_ = schema.get("path")
        if path_ is not None and path_ != "/" + sid.replace(".", "/") + "/":
            errors.append(f"{name}: schema {sid} has path {path_}")
        for key in schema.findall("key"):
            k = key.get("name")
            for tag in ("summary", "description"):
                if not (key.findtext(tag) or "").strip():
                    errors.append(f"{name}: key {k} has no <{tag}>")
            t = key.get("type")
            if t in ("y", "n", "q", "i", "u", "x", "t", "d") and key.find("range") is None:
                errors.append(f"{name}: numeric key {k} has no <range>")
            if key.get("enum") and key.get("enum") not in enums:
                errors.append(f"{name}: key {k} uses unknown enum {key.get('enum')}")
    print(f"{name}: {sum(len(s.findall('key')) for s in root.findall('schema'))} keys checked")
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
PY

# The build compiles the schemas into <build>/data (the tests' GSETTINGS_SCHEMA_DIR).
if [ ! -f "$build/data/gschemas.compiled" ]; then
  tap_fail "gschemas.compiled is not in $build/data"
elif ! command -v gsettings >/dev/null 2>&1; then
  tap_skip "compiled schemas in the build dir" "gsettings is not installed"
else
  bad=""
  for f in "$@"; do
    for id in $(sed -n 's/.*<schema [^>]*id="\([^"]*\)".*/\1/p' "$f"); do
      want=$(python3 -c 'import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
print(sum(len(s.findall("key")) for s in r.findall("schema") if s.get("id") == sys.argv[2]))' "$f" "$id")
      have=$(gsettings --schemadir "$build/data" list-keys "$id" 2>/dev/null | wc -l)
      [ "$want" = "$have" ] || bad="$bad $id($have of $want keys)"
    done
  done
  if [ -z "$bad" ]; then
    tap_ok "the build compiles every schema with all its keys"
  else
    tap_fail "compiled schemas differ from the sources:$bad"
  fi
fi

tap_done
