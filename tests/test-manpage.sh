#!/bin/sh
# test-manpage.sh POINTSMAN-CLI: the man pages render without warnings and pointsman-cli(1)
# documents every command and every long option the program offers (TAP).
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"

cli=$1
src=${PM_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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

# Every command that pointsman-cli --help lists has an entry in COMMANDS, and every long
# option that the command's --help (and its datasets' or subcommands' --help) shows is
# documented in that command's entries.
python3 - "$cli" "$page" >"$tmp/cmds" 2>&1 <<'PY'
import re, subprocess, sys

cli, page = sys.argv[1:3]

def help_of(*args):
    try:
        r = subprocess.run([cli, *args, "--help"], stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=30)
        return r.stdout + r.stderr
    except subprocess.TimeoutExpired:
        return ""

def listed_words(text):
    """Names in two-column lists ("  name   what it does") under headings such as Commands: or
    Datasets:, but not under Usage: or the option groups."""
    words, heading = [], None
    for line in text.splitlines():
        if line and not line.startswith(" ") and line.rstrip().endswith(":"):
            heading = line.strip()
            continue
        m = re.match(r"^  ([a-z][a-z0-9-]*)\s{2,}\S", line)
        if m and heading not in (None, "Usage:", "Help Options:", "Application Options:"):
            words.append(m.group(1))
    return words

def options(text):
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text)) - {"--help", "--help-all"}

text = open(page).read()
section = text.split("\n.SH COMMANDS\n", 1)[1].split("\n.SH ", 1)[0].split("\n")
entries, depth, cur = {}, 0, None
for i, line in enumerate(section):
    if line.startswith(".RS"):
        depth += 1
    elif line.startswith(".RE"):
        depth -= 1
    elif line == ".TP" and depth == 0 and i + 1 < len(section):
        m = re.match(r'^\.(?:B|BI|BR) "?([a-z][a-z-]*)', section[i + 1])
        cur = m.group(1) if m else None
    if cur:
        entries[cur] = entries.get(cur, "") + line + "\n"

verbs = listed_words(help_of())
print("commands:", " ".join(verbs))
print("undocumented commands:", " ".join(v for v in verbs if v not in entries))
missing = []
for v in verbs:
    helps = help_of(v)
    for sub in listed_words(helps):
        helps += help_of(v, sub)
    for o in sorted(options(helps)):
        if o.replace("-", "\\-") not in entries.get(v, ""):
            missing.append(f"{v} {o}")
print("undocumented options:", " ".join(missing))
sys.exit(2 if any(v not in entries for v in verbs) else 1 if missing else 0)
PY
rc=$?
if grep -q '^undocumented commands: $' "$tmp/cmds" && [ $rc -ne 2 ]; then
  tap_ok "every command is documented: $(sed -n 's/^commands: //p' "$tmp/cmds")"
else
  tap_fail "commands missing from pointsman-cli.1"
fi
if [ $rc -eq 0 ]; then
  tap_ok "every long option of every command is documented under its command"
else
  tap_fail "options missing from pointsman-cli.1"
fi
tap_diag "$(cat "$tmp/cmds")"

tap_done
