#!/usr/bin/env bash
# `make run`: samspil end to end on this machine, against the AWS emulator. Run it through
# scripts/with-moto.sh (make run does), which starts the emulator if needed, points the AWS SDKs at
# it, and stops it at the end if it started it.
#
#   1. deploys infra/template.yaml, the template that goes to AWS, into the emulator, and the
#      jobcenter subscriber 851 from infra/subscriber.yaml (scripts/deploy_local.py; outputs in
#      target/local-stack.json and target/local-subscribers.json);
#   2. starts `samspil local` in the background: the Lambda functions' code, polling the queues the
#      way Lambda does, printing every meeting update published to the topic as it arrives;
#   3. sends examples/messages.jsonl to the queues with `samspil send`;
#   4. keeps serving until Ctrl-C, then stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${AWS_ENDPOINT_URL:?run this through scripts/with-moto.sh (make run does)}"

cargo build --quiet -p samspil-cli
samspil="${CARGO_TARGET_DIR:-target}/debug/samspil"

mkdir -p target
if ! .venv/bin/python scripts/deploy_local.py >target/deploy-local.log 2>&1; then
    tail -n 20 target/deploy-local.log >&2
    echo "run: deploying the local stack failed (target/deploy-local.log)" >&2
    exit 1
fi
echo "run: stack deployed from infra/template.yaml, subscriber samspil-jobcenter-851-updates from infra/subscriber.yaml,"
echo "     at $AWS_ENDPOINT_URL (log: target/deploy-local.log)"

ready=target/local-runner.ready
rm -f "$ready"
"$samspil" local --stack target/local-stack.json --ready-file "$ready" &
runner=$!
stop_runner() {
    kill -TERM "$runner" 2>/dev/null || true
    wait "$runner" 2>/dev/null || true
    rm -f "$ready"
}
trap stop_runner EXIT
trap 'exit 130' INT TERM

for _ in $(seq 1 300); do
    [[ -f "$ready" ]] && break
    kill -0 "$runner" 2>/dev/null || { echo "run: samspil local exited" >&2; exit 1; }
    sleep 0.1
done

"$samspil" send examples/messages.jsonl
echo "run: the examples' received_on days (Nov 2026) are not used here: the local run processes every"
echo "     message on today's date in Europe/Copenhagen, as Lambda would, so dates differ from 'samspil replay'."
echo "run: meeting updates print below as they arrive; send more with 'samspil send FILE' or any AWS client"
echo "     (README, 'Talking to the local stack'). Ctrl-C stops."
wait "$runner"
