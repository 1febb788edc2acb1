#!/bin/sh
# check-flatpak.sh MANIFEST: the Flatpak manifest parses under flatpak-builder with warnings
# fatal, and holds what Pointsman needs (TAP). The runtime cannot be fetched here, so nothing
# is built.
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"

manifest=$1
src=${PM_SOURCE_DIR:?}

tap_plan 3

if ! command -v flatpak-builder >/dev/null 2>&1; then
  tap_skip "flatpak-builder --show-manifest" "flatpak-builder is not installed"
  tap_skip "runtime, command and finish-args" "flatpak-builder is not installed"
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  manifest=$(cd "$(dirname "$manifest")" && pwd)/$(basename "$manifest")
  # flatpak-builder may create ~/.local/share/flatpak and a .flatpak-builder state dir in the
  # current directory: keep both in the throwaway dir.
  if (cd "$tmp" && HOME=$tmp G_DEBUG=fatal-warnings flatpak-builder --show-manifest "$manifest") \
       >"$tmp/manifest.json" 2>"$tmp/err"; then
    tap_ok "flatpak-builder --show-manifest (G_DEBUG=fatal-warnings)"
  else
    tap_fail "flatpak-builder --show-manifest (G_DEBUG=fatal-warnings)"
  fi
  [ -s "$tmp/err" ] && tap_diag "$(cat "$tmp/err")"

  tap_check "runtime, command, modules and finish-args" \
    python3 - "$tmp/manifest.json" "$manifest" "$src" <<'PY'
import json, os, sys
m = json.load(open(sys.argv[1]))
manifest_dir = os.path.dirname(os.path.abspath(sys.argv[2]))
src = sys.argv[3]
errors = []
def need(cond, msg):
    if not cond:
        errors.append(msg)
# The file is named after the app id: io.github.pointsman.Pointsman[.Devel].json
want_id = os.path.basename(sys.argv[2])[:-len(".json")]
need(want_id in ("io.github.pointsman.Pointsman", "io.github.pointsman.Pointsman.Devel"),
     f"unexpected manifest name {want_id}")
need(m.get("id") == want_id, f"id is {m.get('id')}, not {want_id}")
devel = want_id.endswith(".Devel")
need(m.get("runtime") == "org.gnome.Platform" and m.get("sdk") == "org.gnome.Sdk",
     "runtime and sdk are not org.gnome.Platform and org.gnome.Sdk")
# GNOME 43 is the first with GTK >= 4.8 and libadwaita >= 1.2.
v = m.get("runtime-version", "")
need(v.isdigit() and int(v) >= 43, f"runtime-version {v!r} is older than GNOME 43")
need(m.get("command") == "pointsman", f"command is {m.get('command')}")
args = m.get("finish-args", [])
for a in ("--share=network", "--socket=wayland", "--socket=fallback-x11", "--device=dri",
          "--talk-name=org.freedesktop.secrets"):
    need(a in args, f"finish-arg {a} is missing")
for a in ("--filesystem=home", "--filesystem=host", "--socket=x11", "--talk-name=org.freedesktop.Flatpak"):
    need(a not in args, f"finish-arg {a} asks for more than Pointsman needs")
mods = m.get("modules", [])
need(mods and isinstance(mods[-1], dict) and mods[-1].get("name") == "pointsman", "the last module is not pointsman")
if mods and isinstance(mods[-1], dict):
    app = mods[-1]
    need(app.get("buildsystem") == "meson", "pointsman is not built with meson")
    need("-Dapp=enabled" in app.get("config-opts", []), "the app is not enabled")
    need(("-Ddevelopment=true" in app.get("config-opts", [])) == devel,
         "-Ddevelopment=true must be set exactly in the .Devel manifest")
    for s in app.get("sources", []):
        if s.get("type") == "dir":
            d = os.path.normpath(os.path.join(manifest_dir, s.get("path", "")))
            need(os.path.samefile(d, src), f"dir source {d} is not the source tree")
print(f"{len(args)} finish-args, {len(mods)} module(s)")
print("\n".join(errors))
sys.exit(1 if errors else 0)
PY
fi

# Each finish-arg carries a comment saying why (flatpak-builder drops comments, so read the file).
tap_check "every finish-arg is commented" python3 - "$manifest" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r'"finish-args"\s*:\s*\[(.*?)\]', text, re.S)
if not m:
    print("no finish-args"); sys.exit(1)
body, bad, commented = m.group(1), [], False
# Walk the array: a comment marks the next argument as explained.
for tok in re.finditer(r'/\*.*?\*/|"([^"]*)"', body, re.S):
    if tok.group(0).startswith("/*"):
        commented = True
    else:
        if not commented:
            bad.append(tok.group(1))
        commented = False
print("uncommented:", ", ".join(bad) if bad else "none")
sys.exit(1 if bad else 0)
PY

tap_done
