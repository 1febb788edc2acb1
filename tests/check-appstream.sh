#!/bin/sh
# check-appstream.sh METAINFO-FILE: validates the built AppStream metainfo (TAP).
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"

metainfo=$1
app_id=${PM_APP_ID:-io.github.pointsman.Pointsman}
src=${PM_SOURCE_DIR:?}
build=${PM_BUILD_DIR:?}

tap_plan 5

if command -v appstreamcli >/dev/null 2>&1; then
  tap_check "appstreamcli validate --no-net" appstreamcli validate --no-net --explain "$metainfo"
else
  tap_skip "appstreamcli validate --no-net" "appstreamcli is not installed"
fi

if command -v appstream-util >/dev/null 2>&1; then
  tap_check "appstream-util validate --nonet (strict)" appstream-util validate --nonet "$metainfo"
else
  tap_skip "appstream-util validate --nonet" "appstream-util is not installed"
fi

version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$build/config.h")
langs=$(sed 's/#.*//' "$src/po/LINGUAS" 2>/dev/null | tr -s ' \t' '\n\n' | grep -v '^$' | tr '\n' ' ')

# What Pointsman itself needs of its metainfo, beyond what the validators know.
tap_check "id, launchable, releases, provides, screenshots, rating and translations" \
  python3 - "$metainfo" "$app_id" "$version" "$build" "$langs" <<'PY'
import os, re, sys
import xml.etree.ElementTree as ET

path, app_id, version, build, langs = sys.argv[1:6]
langs = langs.split()
root = ET.parse(path).getroot()
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
errors = []

def need(cond, msg):
    if not cond:
        errors.append(msg)

need(root.get("type") == "desktop-application", "component type is not desktop-application")
need(root.findtext("id") == app_id, f"<id> is {root.findtext('id')!r}, not {app_id!r}")
launch = root.find("launchable")
need(launch is not None and launch.get("type") == "desktop-id" and launch.text == app_id + ".desktop",
     "launchable is not the desktop id " + app_id + ".desktop")
need(root.findtext("project_license") == "GPL-3.0-or-later", "project_license is not GPL-3.0-or-later")
need(root.findtext("metadata_license") == "CC0-1.0", "metadata_license is not CC0-1.0")
dev = root.find("developer")
need(dev is not None and dev.get("id") and dev.findtext("name"), "no <developer id=…><name>")
for t in ("homepage", "bugtracker", "vcs-browser"):
    need(any(u.get("type") == t and (u.text or "").startswith("https://") for u in root.findall("url")),
         f"no https url of type {t}")

rating = root.find("content_rating")
need(rating is not None and rating.get("type") == "oars-1.1", "no OARS 1.1 content rating")

releases = root.findall("releases/release")
need(releases, "no releases")
if releases:
    need(releases[0].get("version") == version,
         f"newest release is {releases[0].get('version')}, the project is {version}")
    dates = [r.get("date", "") for r in releases]
    need(all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates), "a release has no ISO date")
    need(dates == sorted(dates, reverse=True), "releases are not newest first")
    need(all(r.find("description") is not None for r in releases), "a release has no description")

bins = [b.text for b in root.findall("provides/binary")]
need("pointsman" in bins and "pointsman-cli" in bins, f"provides binaries {bins}")
built = {f for _, _, files in os.walk(build) for f in files}
for b in bins:
    need(b in built, f"provided binary {b} is not built")

shots = root.findall("screenshots/screenshot")
need(len(shots) >= 1, "no screenshots")
need(sum(s.get("type") == "default" for s in shots) == 1, "not exactly one default screenshot")
names = []
for s in shots:
    img = s.findtext("image") or ""
    need(img.startswith("https://") and img.endswith(".png"), f"screenshot image {img!r} is not an https PNG URL")
    names.append(img.rsplit("/", 1)[-1])
    cap = [c for c in s.findall("caption") if c.get(XML_LANG) is None]
    need(cap and 0 < len(cap[0].text or "") <= 50, f"screenshot {img} needs a caption of at most 50 characters")
need(len(names) == len(set(names)), "two screenshots share a file name")

for lang in langs:
    need(any(e.get(XML_LANG) == lang for e in root.findall("summary")),
         f"no {lang} translation of the summary merged")
    need(any(e.get(XML_LANG) == lang for e in root.iter("p")),
         f"no {lang} translation of the description merged")

for e in errors:
    print(e)
sys.exit(1 if errors else 0)
PY

names=$(sed -n 's|.*<image>.*/\([^/<]*\)\.png</image>.*|\1|p' "$metainfo")

# The screenshots are views the app's own screenshot test writes (PM_BUILD_DIR/screenshots).
shots_test=$src/tests/test-app-screenshots.c
if [ ! -f "$shots_test" ]; then
  tap_skip "every screenshot is a view the screenshot test writes" "no tests/test-app-screenshots.c"
else
  missing=""
  for n in $names; do
    grep -q "\"$n\"" "$shots_test" || missing="$missing $n"
  done
  if [ -z "$missing" ]; then
    tap_ok "every screenshot is a view tests/test-app-screenshots.c writes: $(echo $names)"
  else
    tap_fail "screenshots the screenshot test does not write:$missing"
  fi
fi

# The URLs point at data/screenshots/ in the repository: the files are there and big enough.
tap_check "data/screenshots/ holds each image as a PNG of at least 624x351" \
  python3 - "$src/data/screenshots" $names <<'PY'
import struct, sys
folder, names = sys.argv[1], sys.argv[2:]
bad = []
for n in names:
    try:
        head = open(f"{folder}/{n}.png", "rb").read(24)
    except OSError:
        bad.append(f"{n}.png is missing"); continue
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        bad.append(f"{n}.png is not a PNG"); continue
    w, h = struct.unpack(">II", head[16:24])
    print(f"{n}.png {w}x{h}")
    if w < 624 or h < 351:
        bad.append(f"{n}.png is only {w}x{h}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY

tap_done
