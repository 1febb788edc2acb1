#!/bin/sh
# check-icons.sh: the app icon and its symbolic variant are well-formed and draw something (TAP).
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"

src=${PM_SOURCE_DIR:?}
icons=$src/data/icons/hicolor
app=$icons/scalable/apps/io.github.pointsman.Pointsman.svg
devel=$icons/scalable/apps/io.github.pointsman.Pointsman.Devel.svg
sym=$icons/symbolic/apps/io.github.pointsman.Pointsman-symbolic.svg

tap_plan 3

tap_check "scalable icons (release and .Devel): 128x128 SVG" python3 - "$app" "$devel" <<'PY'
import sys, xml.etree.ElementTree as ET
ok = True
for path in sys.argv[1:]:
    r = ET.parse(path).getroot()
    ok = ok and (r.tag == "{http://www.w3.org/2000/svg}svg" and r.get("viewBox") == "0 0 128 128"
                 and r.get("width") == "128" and r.get("height") == "128")
    print(path.rsplit("/", 1)[-1], r.get("width"), r.get("height"), r.get("viewBox"))
sys.exit(0 if ok else 1)
PY

# Symbolic icons are 16x16 and drawn in one colour (GTK recolours it); opacity may vary.
tap_check "symbolic icon: 16x16, one colour, fills only" python3 - "$sym" <<'PY'
import re, sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
errors = []
if r.get("viewBox") != "0 0 16 16" or r.get("width") != "16" or r.get("height") != "16":
    errors.append("not a 16x16 SVG")
colours = set()
for e in r.iter():
    if e.tag.endswith(("linearGradient", "radialGradient", "image", "text")):
        errors.append("uses " + e.tag.split("}")[-1])
    for attr in ("fill", "stroke"):
        v = e.get(attr)
        if v and v != "none":
            colours.add(v.lower())
    for m in re.finditer(r"(fill|stroke)\s*:\s*([^;]+)", e.get("style", "")):
        if m.group(2).strip() != "none":
            colours.add(m.group(2).strip().lower())
    if e.get("stroke") not in (None, "none"):
        errors.append("strokes do not recolour well; use fills")
if len(colours) != 1:
    errors.append(f"colours {sorted(colours)}: want exactly one")
print("colours:", sorted(colours))
print("\n".join(errors))
sys.exit(1 if errors else 0)
PY

# Render both through gdk-pixbuf (librsvg), as GTK does, and make sure they are not blank.
if /usr/bin/python3 -c 'import gi; gi.require_version("GdkPixbuf", "2.0"); from gi.repository import GdkPixbuf' 2>/dev/null; then
  tap_check "the icons render and are not blank" /usr/bin/python3 - "$app" "$sym" "$devel" <<'PY'
import sys
import gi
gi.require_version("GdkPixbuf", "2.0")
from gi.repository import GdkPixbuf

def coverage(path, size):
    pb = GdkPixbuf.Pixbuf.new_from_file_at_size(path, size, size)
    if not pb.get_has_alpha():
        return 1.0, 1
    data, stride, n = pb.get_pixels(), pb.get_rowstride(), pb.get_n_channels()
    opaque, colours = 0, set()
    for y in range(pb.get_height()):
        for x in range(pb.get_width()):
            p = data[y * stride + x * n: y * stride + x * n + n]
            if p[3] > 128:
                opaque += 1
                colours.add(bytes(p[:3]))
    return opaque / (pb.get_width() * pb.get_height()), len(colours)

a, ac = coverage(sys.argv[1], 64)
d, dc = coverage(sys.argv[3], 64)
s, _ = coverage(sys.argv[2], 16)
print(f"app icon at 64 px: {a:.0%} covered, {ac} colours; .Devel: {d:.0%}, {dc} colours; "
      f"symbolic at 16 px: {s:.0%} covered")
sys.exit(0 if a > 0.5 and ac > 8 and d > 0.5 and dc > 8 and 0.1 < s < 0.9 else 1)
PY
else
  tap_skip "the icons render and are not blank" "python3-gi with GdkPixbuf is not available"
fi

tap_done
