#!/usr/bin/env bash
# The public board benchmark (site-generator/benches/board.rs): full builds of 1k, 10k
# and 100k synthetic listings, lingong's generator beside Hugo (Debian's package,
# installed here, never by the test command), and an incremental rebuild after one
# new job. Prints the Markdown table kept in README.md. Needs about 8 GB of free RAM
# for the 100k run (both sides write to /dev/shm).
#   LINGONG_BENCH_SIZES=1000,10000 scripts/bench-site.sh   # smaller runs
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v hugo >/dev/null 2>&1; then
  echo "==> installing hugo (Debian package)"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hugo >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hugo >/dev/null
  fi
fi
cargo bench --locked -p lingong-site --bench board
