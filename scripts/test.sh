#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the local servers it needs from the
# project's manifests, starts them on loopback ports, runs format and lint checks and
# every test, and stops the servers afterwards (also when something fails).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/services.sh
trap stop_services EXIT INT TERM

export AWS_EC2_METADATA_DISABLED=true
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# A one-shot CI build gains nothing from incremental caches and they cost gigabytes.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

echo "==> cargo fmt --check"
cargo fmt --all --check

echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "==> template checks (cfn-lint, sam validate --lint)"
install_python_tools
# The template deploys to a global region and to both China regions (aws-cn); `--`
# ends the region list.
cfn-lint --regions us-east-1 cn-north-1 cn-northwest-1 -- infra/template.yaml
SAM_CLI_TELEMETRY=0 sam validate --lint --template-file infra/template.yaml

start_dynamodb_local
start_moto
start_fake_tencent # Tencent Cloud SMS fake
start_fake_aliyun # Alibaba Cloud SMS fake
start_smtp_sink
ensure_chromium

echo "==> cargo build (binaries the end-to-end tests start)"
cargo build --workspace --bins --locked

echo "==> cargo test"
cargo test --workspace --locked --no-fail-fast

echo "==> all checks passed"
