#!/usr/bin/env bash
# The open-data server: pygeoapi (OGC API - Features) under gunicorn, a process of its own.
#
#   scripts/opendata.sh start [WATCH_PID]
#   scripts/opendata.sh stop
#   scripts/opendata.sh serve      (in the foreground, as deploy/systemd/registry-opendata.service)
#
# start writes pygeoapi's configuration and OpenAPI document from the registry's settings
# (`flask opendata config`: DATABASE_READ_URL, OPENDATA_PORT, OPENDATA_URL, OPENDATA_LICENCE),
# stops a server a previous run left, starts one, waits until its landing page answers and
# prints `open data: URL/`. With WATCH_PID (make run passes make's own) a watcher stops the
# server once that process has ended, however it ended (Ctrl-C, SIGTERM, a crash).
# OPENDATA_STATE_DIR (default: systemd's RUNTIME_DIRECTORY, else var) holds the configuration,
# the pid files and the log.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
STATE="$(realpath -m "${OPENDATA_STATE_DIR:-${RUNTIME_DIRECTORY:-var}}")"
CONFIG="$STATE/pygeoapi.yml"
OPENAPI="$STATE/pygeoapi-openapi.json"
PID="$STATE/opendata.pid"
WATCHER="$STATE/opendata-watcher.pid"
LOG="$STATE/opendata.log"

# The process in FILE, if it is still the one this script started (its command line says so).
ours() {
    local pid
    pid="$(cat "$1" 2>/dev/null || true)"
    [ -n "$pid" ] && grep -qa "$2" "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

stop() {
    local watcher server
    watcher="$(ours "$WATCHER" opendata.sh || true)"
    [ -n "$watcher" ] && kill -TERM "$watcher" 2>/dev/null || true
    server="$(ours "$PID" pygeoapi.flask_app || true)"
    if [ -n "$server" ]; then
        kill -TERM "$server" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$server" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server" 2>/dev/null || true
    fi
    rm -f "$PID" "$WATCHER"
}

# Keep the server alive while WATCH_PID runs; then stop it (runs in the background).
watch() {
    local watched="$1" server="$2"
    trap 'kill -TERM "$server" 2>/dev/null; exit 0' TERM
    while kill -0 "$watched" 2>/dev/null && kill -0 "$server" 2>/dev/null; do
        sleep 1
    done
    kill -TERM "$server" 2>/dev/null || true
    rm -f "$PID" "$WATCHER"
}

start() {
    local watched="${1:-}" host port url server
    stop
    mkdir -p "$STATE"
    $BIN/flask --app wsgi opendata config -o "$CONFIG" --openapi "$OPENAPI" >/dev/null
    read -r host port url < <($BIN/python -c '
import sys, yaml
server = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["server"]
print(server["bind"]["host"], server["bind"]["port"], server["url"])' "$CONFIG")
    if $BIN/python -c 'import socket, sys; sys.exit(socket.socket().connect_ex((sys.argv[1], int(sys.argv[2]))))' "$host" "$port"; then
        echo "opendata: something else listens on $host:$port: set OPENDATA_PORT to a free port" >&2
        exit 1
    fi
    PYGEOAPI_CONFIG="$CONFIG" PYGEOAPI_OPENAPI="$OPENAPI" \
        $BIN/gunicorn --workers 1 --worker-class gthread --threads 4 --timeout 120 --no-control-socket \
        --bind "$host:$port" --access-logfile - pygeoapi.flask_app:APP >>"$LOG" 2>&1 &
    server=$!
    echo "$server" > "$PID"
    for _ in $(seq 300); do
        if $BIN/python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
            "http://$host:$port/" 2>/dev/null; then
            if [ -n "$watched" ]; then
                watch "$watched" "$server" </dev/null >>"$LOG" 2>&1 &
                echo $! > "$WATCHER"
            fi
            echo "open data: $url/"
            return 0
        fi
        if ! kill -0 "$server" 2>/dev/null; then
            break
        fi
        sleep 0.2
    done
    echo "opendata: pygeoapi did not start on $host:$port (see $LOG)" >&2
    stop
    exit 1
}

# The same server in the foreground (a service manager's child; its log on standard output).
serve() {
    local host port
    mkdir -p "$STATE"
    $BIN/flask --app wsgi opendata config -o "$CONFIG" --openapi "$OPENAPI" >/dev/null
    read -r host port < <($BIN/python -c '
import sys, yaml
server = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["server"]
print(server["bind"]["host"], server["bind"]["port"])' "$CONFIG")
    PYGEOAPI_CONFIG="$CONFIG" PYGEOAPI_OPENAPI="$OPENAPI" exec \
        $BIN/gunicorn --workers 1 --worker-class gthread --threads 4 --timeout 120 --no-control-socket \
        --bind "$host:$port" --access-logfile - pygeoapi.flask_app:APP
}

case "${1:-}" in
    start) start "${2:-}" ;;
    stop) stop ;;
    serve) serve ;;
    *) echo "usage: $0 start [WATCH_PID] | stop | serve" >&2; exit 2 ;;
esac
