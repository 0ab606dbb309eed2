#!/usr/bin/env bash
# The abuse benchmark (README, "Abuse limits"): starts `lingong serve --demo` on a fresh
# data directory on 127.0.0.1, sends each public limit 300 concurrent requests and floods
# the staff login while timing /api/health (tools/bench_abuse.py), prints Markdown
# tables, and stops the server. Loopback only. Usage: scripts/bench-abuse.sh [--release]
set -euo pipefail
cd "$(dirname "$0")/.."
profile=debug
if [ "${1:-}" = "--release" ]; then profile=release; cargo build --release -q -p lingong; else cargo build -q -p lingong; fi
data=$(mktemp -d)
log="$data/serve.log"
"target/$profile/lingong" serve --demo --data "$data" --addr 127.0.0.1:0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 600); do
  grep -q '^Open ' "$log" && break
  sleep 0.1
done
base=$(grep '^Open ' "$log" | head -n 1 | awk '{print $2}' | sed 's:/$::')
user=$(grep '^Staff console:' "$log" | sed 's/.*user: \([^ ]*\).*/\1/')
password=$(grep '^Staff console:' "$log" | sed 's/.*password: \([^ ]*\).*/\1/')
echo "lingong serve ($profile) on $base; $(nproc) cores"
python3 tools/bench_abuse.py "$base" "$user" "$password"
