#!/bin/bash
# run-tests.sh POINTSMAN_CLI PM_SIM_UPSTREAM — real clients from npm (pinned in package.json /
# package-lock.json) talking to `pointsman-cli serve`, which talks to the scripted upstream.
# Prints TAP. Skips (with the reason) only when the npm registry cannot be reached.
#
# Env: PM_SOURCE_DIR, PM_BUILD_DIR (set by meson), npm_config_cache (default
# /var/tmp/pointsman-npm-cache), PM_NPM_ONLY (a space-separated list of test names to run).
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -u

cli=$(readlink -f "$1")
sim=$(readlink -f "$2")
src=${PM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/npm
work=${PM_BUILD_DIR:-$(pwd)}/npm-clients
export npm_config_cache=${npm_config_cache:-/var/tmp/pointsman-npm-cache}
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

TEST_KEY=test-key-not-real-1234
tmp=$(mktemp -d)
pids=()
n=0
failed=0

cleanup ()
{
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# ---- install the pinned clients -----------------------------------------------------------

mkdir -p "$work"
# .installed holds the lockfile of the last complete install.
if ! cmp -s "$src/package-lock.json" "$work/.installed" || [ ! -x "$work/node_modules/.bin/claude" ]; then
  if ! command -v npm >/dev/null; then
    echo "1..0 # SKIP npm is not installed"
    exit 0
  fi
  if ! timeout 30 npm ping >"$tmp/ping.log" 2>&1; then
    echo "1..0 # SKIP the npm registry is unreachable: $(grep -v '^npm warn' "$tmp/ping.log" | tail -1)"
    exit 0
  fi
  cp "$src/package.json" "$src/package-lock.json" "$work/"
  rm -f "$work/.installed"
  # `npm install --no-save` with the lockfile in place installs exactly the locked versions;
  # `npm ci` refuses this lockfile because opencode-ai lists platform packages that npm
  # leaves out of it.
  if ! (cd "$work" && rm -rf node_modules && timeout 900 npm install --no-save --no-audit --no-fund) >"$tmp/npm.log" 2>&1; then
    echo "Bail out! npm install failed: $(tail -3 "$tmp/npm.log" | tr '\n' ' ')"
    exit 1
  fi
  cp "$src/package-lock.json" "$work/.installed"
fi
cp "$src"/*.mjs "$work/"
bin=$work/node_modules/.bin

# ---- helpers ------------------------------------------------------------------------------

# A private home for every client: no real configuration is read or written.
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/.config XDG_DATA_HOME=$tmp/home/.local/share \
       XDG_CACHE_HOME=$tmp/home/.cache XDG_STATE_HOME=$tmp/home/.local/state
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME"
export DISABLE_TELEMETRY=1 DISABLE_ERROR_REPORTING=1 DISABLE_AUTOUPDATER=1 \
       CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY=1 OPENCODE_DISABLE_AUTOUPDATE=1 NO_COLOR=1
export PM_TEST_UPSTREAM_KEY=$TEST_KEY

wait_for_url ()   # file → prints the first http://127.0.0.1:N in it
{
  local i
  for i in $(seq 1 100); do
    if grep -qo 'http://127\.0\.0\.1:[0-9]*' "$1" 2>/dev/null; then
      grep -o 'http://127\.0\.0\.1:[0-9]*' "$1" | head -1
      return 0
    fi
    sleep 0.1
  done
  return 1
}

start_sim ()      # name script.json → SIM_URL
{
  # SIM_KEYLESS=1: a local server that takes no key (and must get none).
  if [ -n "${SIM_KEYLESS:-}" ]; then
    "$sim" --script "$2" --record "$tmp/$1.requests" >"$tmp/$1.sim.log" 2>&1 &
  else
    "$sim" --key "$TEST_KEY" --script "$2" --record "$tmp/$1.requests" >"$tmp/$1.sim.log" 2>&1 &
  fi
  pids+=($!)
  SIM_URL=$(wait_for_url "$tmp/$1.sim.log") || return 1
}

# name config.json → PM_URL (the proxy, recording into $tmp/name.db)
start_serve ()
{
  "$cli" serve --config "$2" --port 0 --db "$tmp/$1.db" >"$tmp/$1.serve.log" 2>&1 &
  PM_PID=$!
  pids+=($PM_PID)
  PM_URL=$(wait_for_url "$tmp/$1.serve.log") || return 1
}

stop_serve ()
{
  kill "$PM_PID" 2>/dev/null
  wait "$PM_PID" 2>/dev/null
}

# Write a configuration whose pool is the given "model=provider" pairs; providers point at the
# scripted upstream ($SIM_URL), or at $PORTKEY_URL for the "portkey" provider.
write_config ()   # file model=provider...
{
  local file=$1 first=1 m
  shift
  {
    echo '{'
    echo '  "listen": {"host": "127.0.0.1", "port": 0},'
    echo '  "providers": ['
    echo "    {\"id\": \"sim-anthropic\", \"api\": \"anthropic\", \"preset\": \"anthropic\", \"base_url\": \"$SIM_URL\", \"key\": \"env:PM_TEST_UPSTREAM_KEY\"},"
    echo "    {\"id\": \"sim-chat\", \"api\": \"openai-chat\", \"base_url\": \"$SIM_URL/v1\", \"key\": \"env:PM_TEST_UPSTREAM_KEY\"},"
    echo "    {\"id\": \"sim-responses\", \"api\": \"openai-responses\", \"preset\": \"openai\", \"base_url\": \"$SIM_URL/v1\", \"key\": \"env:PM_TEST_UPSTREAM_KEY\"},"
    echo "    {\"id\": \"local\", \"preset\": \"ollama\", \"base_url\": \"$SIM_URL/v1\"},"
    echo "    {\"id\": \"portkey\", \"api\": \"openai-chat\", \"preset\": \"portkey\", \"base_url\": \"${PORTKEY_URL:-http://127.0.0.1:9}/v1\", \"key\": \"env:PM_TEST_UPSTREAM_KEY\","
    echo "     \"headers\": {\"x-portkey-provider\": \"openai\", \"x-portkey-custom-host\": \"$SIM_URL/v1\"}}"
    echo '  ],'
    echo '  "models": ['
    for m in "$@"; do
      [ $first = 1 ] || echo ','
      first=0
      printf '    {"id": "%s", "provider": "%s"}' "${m%%=*}" "${m#*=}"
    done
    echo
    echo '  ],'
    echo '  "objective": {"pinned_models": "route-all"},'
    echo "  \"default_model\": \"${1%%=*}\""
    echo '}'
  } >"$file"
}

records ()        # → the proxy's recent request records (JSON)
{
  curl -sf -m 10 "$PM_URL/pointsman/v1/requests?limit=50"
}

# Check the records with a small node script: every request has a model, usage, cost and a
# decision; extra checks come as JS expressions over `r` (the array of records).
check_records ()  # name js-expression...
{
  local name=$1
  shift
  records >"$tmp/$name.records.json" || { echo "# no records from $PM_URL/pointsman/v1/requests"; return 1; }
  node "$work/check-records.mjs" "$tmp/$name.records.json" "$@"
}

# Check what the scripted upstream received (pm-sim-upstream --record): JS expressions over `q`.
check_upstream () # name js-expression...
{
  local name=$1
  shift
  node "$work/check-upstream.mjs" "$tmp/$name.requests" "$@"
}

tap ()            # name status [diagnostics file]
{
  n=$((n + 1))
  if [ "$2" = 0 ]; then
    echo "ok $n - $1"
  else
    failed=$((failed + 1))
    echo "not ok $n - $1"
    if [ -n "${3:-}" ] && [ -f "$3" ]; then sed 's/^/# /' "$3" | tail -40; fi
    for f in "$tmp/$1".*.log; do
      [ -f "$f" ] && { echo "# --- $(basename "$f")"; sed 's/^/# /' "$f" | tail -20; }
    done
  fi
}

want ()           # test name: run unless PM_NPM_ONLY excludes it
{
  [ -z "${PM_NPM_ONLY:-}" ] || [[ " $PM_NPM_ONLY " == *" $1 "* ]]
}

tool_script ()    # file: a text + tool-call reply, repeated
{
  cat >"$1" <<'EOF'
[{"text": "I will list the files.", "tool_calls": [{"name": "Bash", "arguments": {"command": "ls -la", "timeout": 30}}],
  "chunk_size": 5, "repeat": 20}]
EOF
}

text_script ()    # file text
{
  printf '[{"text": "%s", "chunk_size": 6, "repeat": 40}]\n' "$2" >"$1"
}

export PM_EXPECT_TEXT="I will list the files." PM_EXPECT_TOOL=Bash PM_EXPECT_ARGS='{"command":"ls -la","timeout":30}'

# ---- the tests ----------------------------------------------------------------------------

# SDK streaming with tool calls: client API × upstream API.
sdk_case ()       # name script.mjs client-model model=provider [upstream check]
{
  local name=$1 script=$2 model=$3 pool=$4 upstream=${5:-true} rc
  want "$name" || return 0
  tool_script "$tmp/$name.script.json"
  start_sim "$name" "$tmp/$name.script.json" && write_config "$tmp/$name.config.json" "$pool" &&
    start_serve "$name" "$tmp/$name.config.json" || { tap "$name" 1; return; }
  POINTSMAN_URL=$PM_URL PM_MODEL=$model timeout 120 node "$work/$script" >"$tmp/$name.client.log" 2>&1
  rc=$?
  if [ $rc = 0 ]; then
    check_records "$name" "r.length >= 1" "r.some(x => x.model === '${pool%%=*}' && x.provider === '${pool#*=}')" >>"$tmp/$name.client.log" 2>&1 &&
      check_upstream "$name" "$upstream" >>"$tmp/$name.client.log" 2>&1
    rc=$?
  fi
  stop_serve
  tap "$name" $rc "$tmp/$name.client.log"
}

# What each upstream must have received, in its own API.
up_messages="q.some(x => x.path === '/v1/messages' && x.body.tools?.[0]?.input_schema && x.body.max_tokens > 0 && x.headers['x-api-key'] === '<present>')"
up_chat="q.some(x => x.path === '/v1/chat/completions' && x.body.tools?.[0]?.type === 'function' && x.body.tools[0].function.parameters && x.body.stream_options?.include_usage === true && x.headers['authorization'] === '<present>')"
up_responses="q.some(x => x.path === '/v1/responses' && x.body.tools?.[0]?.type === 'function' && x.body.input !== undefined && x.body.store === false && x.headers['authorization'] === '<present>')"
# OpenAI-format clients on Claude: Pointsman adds the automatic cache breakpoint.
up_cached="q.some(x => x.path === '/v1/messages' && x.body.cache_control && x.body.cache_control.type === 'ephemeral')"

sdk_case anthropic-sdk-native       sdk-anthropic-stream.mjs        claude-sonnet-4-5 claude-sonnet-4-5=sim-anthropic "$up_messages"
sdk_case anthropic-sdk-to-chat      sdk-anthropic-stream.mjs        claude-sonnet-4-5 gpt-5-mini=sim-chat "$up_chat"
sdk_case anthropic-sdk-to-responses sdk-anthropic-stream.mjs        claude-sonnet-4-5 gpt-5=sim-responses "$up_responses"
sdk_case openai-chat-native         sdk-openai-chat-stream.mjs      gpt-5-mini        gpt-5-mini=sim-chat "$up_chat"
sdk_case openai-chat-to-anthropic   sdk-openai-chat-stream.mjs      gpt-5-mini        claude-sonnet-4-5=sim-anthropic "$up_messages && $up_cached"
sdk_case openai-chat-to-responses   sdk-openai-chat-stream.mjs      gpt-5-mini        gpt-5=sim-responses "$up_responses"
sdk_case openai-responses-native    sdk-openai-responses-stream.mjs gpt-5             gpt-5=sim-responses "$up_responses"
sdk_case openai-responses-to-anthropic sdk-openai-responses-stream.mjs gpt-5          claude-sonnet-4-5=sim-anthropic "$up_messages && $up_cached"
sdk_case openai-responses-to-chat   sdk-openai-responses-stream.mjs gpt-5             gpt-5-mini=sim-chat "$up_chat"

# A keyless local server (the ollama preset: key "none"): Claude's SDK on a local model.
SIM_KEYLESS=1 sdk_case ollama-keyless sdk-anthropic-stream.mjs claude-sonnet-4-5 qwen3-coder=local \
  "q.some(x => x.path === '/v1/chat/completions' && x.body.model) && q.every(x => !x.headers['authorization'] && !x.headers['x-api-key'])"

# Claude Code: a scripted turn that starts a sub-agent; Pointsman recognises the session and the
# sub-agent (its own session under the parent's) in the records.
if want claude-code; then
  name=claude-code
  cat >"$tmp/$name.script.json" <<'EOF'
[{"text": "I will ask a sub-agent.", "tool_calls": [{"name": "Agent", "arguments": {"description": "List the files", "prompt": "List the files in the current directory and report.", "subagent_type": "general-purpose"}}]},
 {"text": "Sub-agent report: nothing here."},
 {"text": "Done with the sub-agent.", "repeat": 20}]
EOF
  if start_sim $name "$tmp/$name.script.json" && write_config "$tmp/$name.config.json" claude-sonnet-4-5=sim-anthropic claude-haiku-4-5=sim-anthropic &&
     start_serve $name "$tmp/$name.config.json"; then
    mkdir -p "$tmp/$name.proj"
    (cd "$tmp/$name.proj" && ANTHROPIC_BASE_URL=$PM_URL ANTHROPIC_AUTH_TOKEN=pointsman-local \
       timeout 180 "$bin/claude" -p "use a sub-agent to list the files" </dev/null) >"$tmp/$name.client.log" 2>&1
    rc=$?
    if [ $rc = 0 ] && grep -q "Done with the sub-agent." "$tmp/$name.client.log"; then
      check_records $name "r.length >= 3" "r.every(x => x.agent === 'claude-code')" \
        "r.some(x => x.kind === 'main' && x.session && x.session.length > 8)" \
        "r.some(x => x.kind === 'subagent' && r.some(y => y.kind === 'main' && x.session.startsWith(y.session + '/')))" \
        >>"$tmp/$name.client.log" 2>&1
      rc=$?
    else
      rc=1
    fi
    stop_serve
    tap "$name" $rc "$tmp/$name.client.log"
  else
    tap "$name" 1
  fi
fi

# Claude Code on an OpenAI-format model, then the same session continued on Claude.
if want claude-code-cross; then
  name=claude-code-cross
  text_script "$tmp/$name.script.json" "Answer from the scripted upstream."
  rc=1
  if start_sim $name "$tmp/$name.script.json" && write_config "$tmp/$name.chat.json" gpt-5-mini=sim-chat &&
     write_config "$tmp/$name.anthropic.json" claude-sonnet-4-5=sim-anthropic &&
     start_serve $name "$tmp/$name.chat.json"; then
    mkdir -p "$tmp/$name.proj"
    (cd "$tmp/$name.proj" && ANTHROPIC_BASE_URL=$PM_URL ANTHROPIC_AUTH_TOKEN=pointsman-local \
       timeout 180 "$bin/claude" -p "first question" </dev/null) >"$tmp/$name.client.log" 2>&1 &&
      grep -q "Answer from the scripted upstream." "$tmp/$name.client.log" &&
      check_records $name "r.some(x => x.model === 'gpt-5-mini' && x.provider === 'sim-chat' && x.api === 'anthropic')" \
        >>"$tmp/$name.client.log" 2>&1 &&
      check_upstream $name \
        "q.some(x => x.path === '/v1/chat/completions' && x.body.messages[0].role === 'system' && typeof x.body.prompt_cache_key === 'string' && x.body.prompt_cache_key.length > 8)" \
        "q.every(x => !JSON.stringify(x.body).includes('x-anthropic-billing-header'))" \
        >>"$tmp/$name.client.log" 2>&1 && rc=0
    stop_serve
    if [ $rc = 0 ] && start_serve $name "$tmp/$name.anthropic.json"; then
      (cd "$tmp/$name.proj" && ANTHROPIC_BASE_URL=$PM_URL ANTHROPIC_AUTH_TOKEN=pointsman-local \
         timeout 180 "$bin/claude" -p --continue "second question" </dev/null) >>"$tmp/$name.client.log" 2>&1 &&
        [ "$(grep -c "Answer from the scripted upstream." "$tmp/$name.client.log")" -ge 2 ] &&
        check_records $name "r.some(x => x.model === 'claude-sonnet-4-5' && x.provider === 'sim-anthropic')" \
          >>"$tmp/$name.client.log" 2>&1 &&
        check_upstream $name \
          "q.some(x => x.path === '/v1/messages' && JSON.stringify(x.body.messages).includes('first question') && JSON.stringify(x.body.messages).includes('Answer from the scripted upstream.') && JSON.stringify(x.body.messages).includes('second question'))" \
          "q.filter(x => x.path === '/v1/messages').every(x => x.body.messages.every(m => !Array.isArray(m.content) || m.content.every(b => b.type !== 'thinking' || (b.signature && b.signature.length > 0))))" \
          >>"$tmp/$name.client.log" 2>&1 || rc=1
      stop_serve
    else
      rc=1
    fi
  fi
  tap "$name" $rc "$tmp/$name.client.log"
fi

# Codex CLI over Responses: natively, and on a Claude model.
codex_case ()     # name model=provider upstream-check
{
  local name=$1 pool=$2 rc=1
  want "$name" || return 0
  text_script "$tmp/$name.script.json" "Hi from the scripted upstream."
  if start_sim "$name" "$tmp/$name.script.json" && write_config "$tmp/$name.config.json" "$pool" &&
     start_serve "$name" "$tmp/$name.config.json"; then
    mkdir -p "$tmp/$name.codex" "$tmp/$name.proj"
    cat >"$tmp/$name.codex/config.toml" <<EOF
model = "pointsman/auto"
model_provider = "pointsman"

[model_providers.pointsman]
name = "Pointsman"
base_url = "$PM_URL/v1"
env_key = "POINTSMAN_API_KEY"
wire_api = "responses"
EOF
    (cd "$tmp/$name.proj" && CODEX_HOME=$tmp/$name.codex POINTSMAN_API_KEY=pointsman-local \
       timeout 180 "$bin/codex" exec --skip-git-repo-check "say hi" </dev/null) >"$tmp/$name.client.log" 2>&1 &&
      grep -q "Hi from the scripted upstream." "$tmp/$name.client.log" &&
      check_records "$name" "r.length >= 1" "r.every(x => x.agent === 'codex')" \
        "r.some(x => x.api === 'openai-responses' && x.requested_model === 'pointsman/auto' && x.model === '${pool%%=*}' && x.provider === '${pool#*=}')" \
        >>"$tmp/$name.client.log" 2>&1 &&
      check_upstream "$name" "$3" >>"$tmp/$name.client.log" 2>&1 && rc=0
    stop_serve
  fi
  tap "$name" $rc "$tmp/$name.client.log"
}

codex_case codex-native gpt-5=sim-responses \
  "q.some(x => x.path === '/v1/responses' && typeof x.body.prompt_cache_key === 'string' && x.body.store === false)"
codex_case codex-to-anthropic claude-sonnet-4-5=sim-anthropic \
  "$up_messages && $up_cached && q.some(x => x.path === '/v1/messages' && x.body.metadata && x.body.metadata.user_id.length > 8)"

# OpenCode over Chat Completions (the AI SDK's openai-compatible provider).
if want opencode; then
  name=opencode
  rc=1
  text_script "$tmp/$name.script.json" "Hi from the scripted upstream."
  if start_sim $name "$tmp/$name.script.json" && write_config "$tmp/$name.config.json" claude-sonnet-4-5=sim-anthropic &&
     start_serve $name "$tmp/$name.config.json"; then
    mkdir -p "$tmp/$name.proj" "$XDG_CONFIG_HOME/opencode"
    cat >"$XDG_CONFIG_HOME/opencode/opencode.json" <<EOF
{
  "\$schema": "https://opencode.ai/config.json",
  "autoupdate": false,
  "share": "disabled",
  "provider": {
    "pointsman": {
      "npm": "@ai-sdk/openai-compatible",
      "name": "Pointsman",
      "options": { "baseURL": "$PM_URL/v1", "apiKey": "pointsman-local" },
      "models": { "pointsman/auto": { "name": "Pointsman (auto)" } }
    }
  },
  "model": "pointsman/pointsman/auto",
  "small_model": "pointsman/pointsman/auto"
}
EOF
    (cd "$tmp/$name.proj" && timeout 180 "$bin/opencode" run "say hi" </dev/null) >"$tmp/$name.client.log" 2>&1 &&
      grep -q "Hi from the scripted upstream." "$tmp/$name.client.log" &&
      check_records $name "r.length >= 1" "r.some(x => x.api === 'openai-chat' && x.provider === 'sim-anthropic')" \
        >>"$tmp/$name.client.log" 2>&1 &&
      check_upstream $name "$up_messages && $up_cached" >>"$tmp/$name.client.log" 2>&1 && rc=0
    stop_serve
  fi
  tap "$name" $rc "$tmp/$name.client.log"
fi

# A real gateway in the path: Pointsman → @portkey-ai/gateway (loopback) → scripted upstream.
# Whole responses: the pinned gateway answers streamed requests for the openai provider with
# "Something went wrong" under Node (its own response headers are immutable there); the client
# script checks that such a failure still reaches the client as an error in its own shape.
if want portkey; then
  name=portkey
  rc=1
  tool_script "$tmp/$name.script.json"
  if start_sim $name "$tmp/$name.script.json"; then
    port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
    node "$work/node_modules/@portkey-ai/gateway/build/start-server.js" --port="$port" --headless \
      >"$tmp/$name.gateway.log" 2>&1 &
    pids+=($!)
    PORTKEY_URL=http://127.0.0.1:$port
    for i in $(seq 1 100); do curl -s -m 1 -o /dev/null "$PORTKEY_URL/" && break; sleep 0.1; done
    if write_config "$tmp/$name.config.json" gpt-5-mini=portkey && start_serve $name "$tmp/$name.config.json"; then
      POINTSMAN_URL=$PM_URL PM_MODEL=claude-sonnet-4-5 timeout 120 node "$work/sdk-anthropic-create.mjs" \
        >"$tmp/$name.client.log" 2>&1 &&
        check_records $name "r.some(x => x.provider === 'portkey' && x.state === 'done' && x.api === 'anthropic')" >>"$tmp/$name.client.log" 2>&1 &&
        check_upstream $name "q.some(x => x.path === '/v1/chat/completions' && x.headers['authorization'] === '<present>' && x.body.tools?.[0]?.type === 'function')" \
          >>"$tmp/$name.client.log" 2>&1 && rc=0
      stop_serve
    fi
    unset PORTKEY_URL
  fi
  tap "$name" $rc "$tmp/$name.client.log"
fi

echo "1..$n"
[ $failed = 0 ]
