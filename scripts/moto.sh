#!/usr/bin/env bash
# The AWS emulator (moto server) for local runs and tests: start | stop | status.
#
# It listens on http://127.0.0.1:4566 (another port with MOTO_PORT, for runs side by side), runs from the project's .venv (see `make .venv/.installed`),
# and keeps its pid file and log under target/moto/. `start` is idempotent.
set -euo pipefail

cd "$(dirname "$0")/.."
HOST=127.0.0.1
PORT=${MOTO_PORT:-4566}
URL="http://$HOST:$PORT"
DIR=target/moto
PIDFILE="$DIR/moto.pid"
LOG="$DIR/moto.log"

# Whether the emulator answers on its dashboard page. (Not /moto-api/data.json: that dumps every
# backend and fails with a 500 as soon as a Lambda function exists, because it asks Docker.)
answers() {
    python3 - "$URL" <<'PY' 2>/dev/null
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=1).read()
except Exception:
    sys.exit(1)
PY
}

running_pid() {
    [[ -f "$PIDFILE" ]] || return 1
    local pid
    pid=$(cat "$PIDFILE")
    kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# Whether anything at all listens on the port.
port_taken() {
    python3 - "$HOST" "$PORT" <<'PY' 2>/dev/null
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
PY
}

# Waits up to 30 s for the emulator to answer while process $1 lives.
wait_for() {
    for _ in $(seq 1 150); do
        answers && return 0
        kill -0 "$1" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}

# The emulator loads each service's code on its first request, which can take seconds on a busy
# machine: longer than the SDK's time limits for one call (shared/src/aws/config.rs). One cheap
# request per service right after start does that before any test or run.
warm_up() {
    .venv/bin/python - "$URL" <<'PY' >/dev/null 2>&1 || true
import sys, boto3
session = boto3.session.Session(region_name="eu-north-1", aws_access_key_id="warm", aws_secret_access_key="warm")
for service, call in [("dynamodb", "list_tables"), ("sqs", "list_queues"), ("sns", "list_topics"),
                      ("ssm", "describe_parameters"), ("cloudformation", "list_stacks"), ("kms", "list_keys")]:
    getattr(session.client(service, endpoint_url=sys.argv[1]), call)()
PY
}

start() {
    if answers; then
        echo "moto: already running at $URL"
        return 0
    fi
    local pid
    # Started by this script but not answering yet (still booting): wait for it, never start a
    # second one over its pid file.
    if pid=$(running_pid); then
        if wait_for "$pid"; then
            echo "moto: running at $URL (pid $pid)"
            return 0
        fi
        echo "moto: pid $pid (from $PIDFILE) does not answer at $URL; see $LOG or run '$0 stop'" >&2
        return 1
    fi
    if port_taken; then
        echo "moto: port $PORT is taken by something that is not the emulator; not starting" >&2
        return 1
    fi
    if [[ ! -x .venv/bin/moto_server ]]; then
        echo "moto: .venv/bin/moto_server is missing; run 'make .venv/.installed' first" >&2
        return 1
    fi
    mkdir -p "$DIR"
    echo "--- $(date -u +%FT%TZ) moto.sh start" >>"$LOG"
    # setsid: its own process group, so stopping it never touches the caller's.
    setsid .venv/bin/moto_server -H "$HOST" -p "$PORT" >>"$LOG" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$PIDFILE"
    if wait_for "$pid"; then
        warm_up
        echo "moto: running at $URL (pid $pid, log $LOG)"
        return 0
    fi
    if kill -0 "$pid" 2>/dev/null; then
        echo "moto: no answer at $URL after 30 s; see $LOG" >&2
    else
        echo "moto: the server exited; the end of its log ($LOG):" >&2
        tail -n 5 "$LOG" >&2
        rm -f "$PIDFILE"
    fi
    return 1
}

stop() {
    local pid
    if pid=$(running_pid); then
        kill "$pid"
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
        echo "moto: stopped (pid $pid)"
    else
        echo "moto: not running (no live pid in $PIDFILE)"
    fi
    rm -f "$PIDFILE"
}

status() {
    local pid
    pid=$(running_pid || true)
    if answers; then
        echo "moto: running at $URL${pid:+ (pid $pid)}"
    else
        echo "moto: not running"
        return 3
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
