#!/usr/bin/env bash
# Cold start and size of the Lambda functions, beside a hello-world lambda_runtime
# function built the same way, in one run. Starts DynamoDB Local for the functions that
# read the table on their first invocation. Prints a Markdown table for the README.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/services.sh
trap stop_services EXIT INT TERM
runs="${RUNS:-20}"

cargo build --release --locked --bins -p lingong-bench-lambda -p lingong-api -p lingong
start_dynamodb_local

# Create the table by starting the local server on it once.
table="bench-$(date +%s)"
target/release/lingong serve --addr 127.0.0.1:0 --data "$CACHE/bench-data" \
  --dynamodb-endpoint "$LINGONG_TEST_DYNAMODB_ENDPOINT" --table "$table" >"$LOGS/bench-serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do grep -q '^Open ' "$LOGS/bench-serve.log" && break; sleep 0.1; done
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true

export AWS_EC2_METADATA_DISABLED=true AWS_REGION=cn-northwest-1 \
  AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench \
  TABLE_NAME="$table" LINGONG_DYNAMODB_ENDPOINT="$LINGONG_TEST_DYNAMODB_ENDPOINT" \
  LINGONG_SECRET="$(printf '%064d' 0)" DEFAULT_STATION=xining-chengzhong RUST_LOG=warn

cases=(--case "hello-world=target/release/hello-lambda=benches/lambda-start/events/hello.json")
cases+=(--case "hello-world + DynamoDB client=target/release/hello-dynamo-lambda=benches/lambda-start/events/hello.json")
cases+=(--case "lingong-api (GET /api/health)=target/release/lingong-api=benches/lambda-start/events/api-health.json")
cases+=(--case "lingong-api (POST /api/jobs, DynamoDB)=target/release/lingong-api=tests/fixtures/events/apigw-v2-post-job.json")
for extra in ${BENCH_CASES:-}; do cases+=(--case "$extra"); done
target/release/lambda-start --runs "$runs" "${cases[@]}"
