#!/bin/sh
# Install what is missing, build, and run the whole test suite under Xvfb, a private D-Bus
# session and an unlocked gnome-keyring. Prints "N passed, N failed" at the end.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
build-aux/install-deps.sh --test
builddir=${PM_BUILDDIR:-build-test}
if [ -f "$builddir/build.ninja" ]; then
  meson setup --reconfigure "$builddir" -Dapp=enabled >/dev/null
else
  meson setup "$builddir" -Dapp=enabled >/dev/null
fi
ninja -C "$builddir"

# A throwaway home: the keyring, config and databases of the tests never touch the real ones.
export HOME="$(mktemp -d)"
export XDG_RUNTIME_DIR="$(mktemp -d)"
chmod 700 "$XDG_RUNTIME_DIR"
export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share" XDG_CACHE_HOME="$HOME/.cache"
# npm packages for the real-client tests are cached outside the throwaway home.
export npm_config_cache="${npm_config_cache:-/var/tmp/pointsman-npm-cache}"

status=0
xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- sh -c '
  echo -n ci-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  meson test -C "$0" --print-errorlogs --num-processes 2 '"${PM_TEST_ARGS:-}"'
' "$builddir" || status=$?

python3 - "$builddir/meson-logs/testlog.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
res = [r["result"] for r in rows]
bad = sum(x in ("FAIL", "ERROR", "TIMEOUT", "UNEXPECTEDPASS") for x in res)
ok = res.count("OK") + res.count("EXPECTEDFAIL")
print(f"{ok} passed, {bad} failed, {res.count('SKIP')} skipped")
PY
rm -rf "$HOME" "$XDG_RUNTIME_DIR"
exit $status
