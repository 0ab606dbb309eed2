#!/usr/bin/env bash
# Builds every Lambda function for AWS Graviton (arm64) with cargo-lambda, as
# `sam build` does, and prints each zip's size. Needs the Rust target
# aarch64-unknown-linux-gnu (`rustup target add aarch64-unknown-linux-gnu`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/python.sh
ensure_python_tools tools/requirements-build.txt
if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  rustup target add aarch64-unknown-linux-gnu
fi
# Every binary the template deploys.
binaries=$(grep -E '^\s+Binary:' infra/template.yaml | awk '{print $2}' | sort -u)
args=()
for binary in $binaries; do args+=(--bin "$binary"); done
cargo lambda build --release --arm64 --output-format zip "${args[@]}"
echo
printf '%-28s %10s %12s\n' function "zip bytes" "binary bytes"
for binary in $binaries; do
  zip="target/lambda/$binary/bootstrap.zip"
  size_zip=$(stat -c %s "$zip")
  size_bin=$(unzip -l "$zip" | awk '/bootstrap$/ {print $1}')
  printf '%-28s %10s %12s\n' "$binary" "$size_zip" "$size_bin"
done
