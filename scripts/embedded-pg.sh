#!/usr/bin/env bash
# The project's own PostGIS cluster ("embedded PostGIS"), used when DATABASE_URL is not set.
#
#   scripts/embedded-pg.sh start        initialise (first time) and start the cluster
#   scripts/embedded-pg.sh stop         stop it
#   scripts/embedded-pg.sh createdb DB  create database DB unless it exists
#   scripts/embedded-pg.sh freshdb DB   drop and re-create database DB
#   scripts/embedded-pg.sh url DB       print the SQLAlchemy URL of database DB
#   scripts/embedded-pg.sh paths        print base=, data=, sock=, log=, port=, bindir= lines
#
# Data lives under ./var/pg, or under the system temporary directory when the postgres user
# cannot enter the checkout. PostgreSQL refuses to run as root, so as root it runs as postgres.
set -euo pipefail
# runuser lives in /usr/sbin, which a non-login shell may leave out of PATH.
export PATH="$PATH:/usr/sbin:/sbin"
root="$(cd "$(dirname "$0")/.." && pwd)"
port="${REGISTRY_PG_PORT:-54329}"
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -n "$bindir" ] || { echo "embedded-pg: PostgreSQL binaries not found (run scripts/setup-system.sh)" >&2; exit 1; }

as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$root"; then
    base="${TMPDIR:-/tmp}/registry-pg-$(echo -n "$root" | md5sum | cut -c1-8)"
else
    base="$root/var"
fi
data="$base/pg"
sock="$base/run"
log="$base/pg.log"

# No failing statement, nor the row values of an error's detail, in the server's log: both can
# carry a resident's name, citizen ID or phone.
quiet_log="-c log_error_verbosity=terse -c log_min_error_statement=panic"

psql_() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }

start() {
    if [ "$(id -u)" -eq 0 ]; then
        install -d -o postgres -g postgres -m 700 "$data" "$sock"
        touch "$log" && chown postgres:postgres "$log"
        chmod 755 "$base"
    else
        install -d -m 700 "$data" "$sock"
    fi
    if [ ! -s "$data/PG_VERSION" ]; then
        as_pg "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        as_pg "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 \
            -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c max_connections=200 $quiet_log" start >/dev/null
    fi
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" || { echo "embedded-pg: server not ready, see $log" >&2; exit 1; }
}

case "${1:-}" in
    start) start ;;
    stop) as_pg "$bindir/pg_ctl" -D "$data" -w stop -m fast ;;
    createdb)
        # The database belongs to the owner role, which runs the migrations; the service
        # connects as registry_app (registry/roles.py grants it). PostGIS needs a superuser.
        db="$2"
        for role in registry_owner registry_app registry_read; do
            psql_ -d postgres -c "DO \$\$ BEGIN CREATE ROLE $role LOGIN;
                EXCEPTION WHEN duplicate_object THEN NULL; END \$\$"
        done
        if [ -z "$(psql_ -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
            psql_ -d postgres -c "CREATE DATABASE \"$db\" OWNER registry_owner"
        fi
        psql_ -d "$db" -c "CREATE EXTENSION IF NOT EXISTS postgis;
            CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE EXTENSION IF NOT EXISTS btree_gin" ;;
    freshdb)
        db="$2"
        psql_ -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
        psql_ -d postgres -c "CREATE DATABASE \"$db\"" ;;
    url) echo "postgresql+psycopg2://postgres@127.0.0.1:$port/$2" ;;
    paths) printf 'base=%s\ndata=%s\nsock=%s\nlog=%s\nport=%s\nbindir=%s\n' \
        "$base" "$data" "$sock" "$log" "$port" "$bindir" ;;
    *) echo "usage: $0 start|stop|createdb DB|freshdb DB|url DB" >&2; exit 2 ;;
esac
