#!/usr/bin/env bash
# Runs a command against the AWS emulator: starts moto if it is not running, points the AWS SDKs at
# it, runs the command, and stops moto afterwards only if this script started it. Exits with the
# command's status.
#
#   scripts/with-moto.sh cargo test --workspace
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

here="$(cd "$(dirname "$0")" && pwd)"
pidfile="$here/../target/moto/moto.pid"
ours=
if ! "$here/moto.sh" status >/dev/null 2>&1; then
    before=$(cat "$pidfile" 2>/dev/null || true)
    "$here/moto.sh" start
    after=$(cat "$pidfile" 2>/dev/null || true)
    # Only a server this call launched is ours to stop (not one another run was still booting).
    [[ -n "$after" && "$after" != "$before" ]] && ours=$after
fi
cleanup() {
    if [[ -n "$ours" && "$(cat "$pidfile" 2>/dev/null || true)" == "$ours" ]]; then
        "$here/moto.sh" stop >/dev/null
    fi
}
trap cleanup EXIT

export AWS_ENDPOINT_URL=http://127.0.0.1:${MOTO_PORT:-4566}
export AWS_REGION=eu-north-1
export AWS_DEFAULT_REGION=eu-north-1  # boto3 reads this one, not AWS_REGION
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing

status=0
"$@" || status=$?
exit "$status"
