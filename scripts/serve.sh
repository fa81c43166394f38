#!/usr/bin/env bash
# The production server: granian (WSGI) serving wsgi:app. `make run`, the bench's production
# set-up and the fault tests start it through this script; arguments after the defaults
# override them (granian takes the last value of an option), e.g. `--port 8100`.
#
#   WORKERS (default 2)  worker processes: one per core
#   THREADS (default 4)  blocking threads per worker: a 10,000-plate print run streams for about
#                        a minute on one of them, while the others go on answering
#   HOST, PORT           where to listen (127.0.0.1:8000)
#
# The access log names the method and the path, never the query string: a search's `q` or a
# validation's address text is what a resident typed, and a log is no place for it. Nor the
# referrer or the user agent. On SIGTERM or SIGINT the workers stop accepting, finish the
# requests in flight and exit; a worker still busy after 30 s is killed.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${VENV:-.venv}/bin/granian" --interface wsgi \
    --workers "${WORKERS:-2}" --blocking-threads "${THREADS:-4}" \
    --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" \
    --workers-kill-timeout 30 --no-ws \
    --access-log --access-log-fmt '%(addr)s [%(time)s] "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).3fms' \
    "$@" wsgi:app
