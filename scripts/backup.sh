#!/usr/bin/env bash
# Backups of the registry's database with pgBackRest: WAL archiving for point-in-time recovery,
# full and incremental backups, compressed and encrypted, restores into a fresh data directory.
#
#   scripts/backup.sh setup                       write pgbackrest.conf, turn WAL archiving on
#                                                 (restarts PostgreSQL once), create the stanza,
#                                                 check that a WAL segment reaches the repository
#   scripts/backup.sh backup [full|diff|incr]     take a backup (default incr; the first is full)
#   scripts/backup.sh restore --to DIR [--target TIME] [--keep-archiving]
#                                                 restore into DIR (new or empty), to TIME (a
#                                                 PostgreSQL timestamp, e.g. '2026-12-03
#                                                 10:15:00+07') or to the end of the archive
#   scripts/backup.sh info [--output=json]        the repository's backups and WAL
#   scripts/backup.sh drill [--target TIME]       restore into a scratch directory, start it on a
#                                                 free port, count what came back, remove it
#
# Without BACKUP_PGDATA it works on the embedded cluster of `make run` (scripts/embedded-pg.sh),
# with its configuration and repository beside the cluster's data. With BACKUP_PGDATA it works
# on a server of yours: /etc/pgbackrest/pgbackrest.conf, the repository in /var/lib/pgbackrest
# (see the README, "Backups", for every BACKUP_* setting). Run it as root or as the cluster's
# owner: pgBackRest runs as the owner of the data directory.
set -euo pipefail
# runuser lives in /usr/sbin, which a non-login shell may leave out of PATH.
export PATH="$PATH:/usr/sbin:/sbin"
root="$(cd "$(dirname "$0")/.." && pwd)"

as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
fail() { echo "backup: $*" >&2; exit 1; }

pgbackrest="$(command -v pgbackrest || true)"
[ -n "$pgbackrest" ] || fail "pgbackrest not found (apt-get install pgbackrest; make setup does)"
stanza="${BACKUP_STANZA:-registry}"
database="${BACKUP_DATABASE:-registry}"
if [ -z "${BACKUP_PGDATA:-}" ]; then
    declare -A embedded
    while IFS='=' read -r name value; do embedded[$name]="$value"; done \
        < <(bash "$root/scripts/embedded-pg.sh" paths)
    bindir="${embedded[bindir]}"
    pgdata="${embedded[data]}"
    pgport="${embedded[port]}"
    pgsock="${embedded[sock]}"
    home="${embedded[base]}/backup"
    conf="${BACKUP_CONF:-$home/pgbackrest.conf}"
    repo="${BACKUP_REPO:-$home/repo}"
    logpath="${BACKUP_LOG_PATH:-$home/log}"
    lockpath="${BACKUP_LOCK_PATH:-$home/lock}"
else
    bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
    pgdata="$BACKUP_PGDATA"
    pgport="${BACKUP_PGPORT:-5432}"
    pgsock="${BACKUP_PGSOCKET:-/var/run/postgresql}"
    conf="${BACKUP_CONF:-/etc/pgbackrest/pgbackrest.conf}"
    repo="${BACKUP_REPO:-/var/lib/pgbackrest}"
    logpath="${BACKUP_LOG_PATH:-/var/log/pgbackrest}"
    lockpath="${BACKUP_LOCK_PATH:-/tmp/pgbackrest}"
fi
[ -x "$bindir/psql" ] || fail "PostgreSQL binaries not found (run scripts/setup-system.sh)"

# As scripts/embedded-pg.sh: no failing statement or row values (personal data) in the log.
quiet_log="-c log_error_verbosity=terse -c log_min_error_statement=panic"

pgbr() { as_pg "$pgbackrest" --config="$conf" --stanza="$stanza" "$@"; }
sql() {
    as_pg "$bindir/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$pgsock" -p "$pgport" -U postgres \
        -d postgres -c "$1"
}
# A value as a SQL string literal.
literal() { printf "'%s'" "${1//\'/\'\'}"; }
# A directory the postgres user owns (only it reads the repository and the configuration).
own_dir() {
    if [ "$(id -u)" -eq 0 ]; then install -d -o postgres -g postgres -m "$2" "$1"; else install -d -m "$2" "$1"; fi
}
now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

passphrase() {
    # The repository's key must never change: a new one would make every backup unreadable.
    local kept=""
    [ -f "$conf" ] && kept="$(sed -n 's/^repo1-cipher-pass=//p' "$conf")"
    if [ -n "${BACKUP_CIPHER_PASS:-}" ]; then
        [ -z "$kept" ] || [ "$kept" = "$BACKUP_CIPHER_PASS" ] \
            || fail "BACKUP_CIPHER_PASS differs from the passphrase of $conf: the repository's backups need the old one"
        echo "$BACKUP_CIPHER_PASS"
    elif [ -n "$kept" ]; then
        echo "$kept"
    elif [ -z "${BACKUP_PGDATA:-}" ]; then
        echo "backup: made a new repository passphrase in $conf: copy it to your secret store" >&2
        head -c 48 /dev/urandom | base64 -w0 | tr '+/' '-_'
    else
        fail "BACKUP_CIPHER_PASS must be set: a long random passphrase, kept in your secret store"
    fi
}

write_conf() {
    local pass
    pass="$(passphrase)"
    [ "${#pass}" -ge 32 ] || fail "the repository passphrase must be at least 32 characters"
    own_dir "$(dirname "$conf")" 750
    own_dir "$repo" 750
    own_dir "$logpath" 750
    own_dir "$lockpath" 750
    (
        umask 077
        cat > "$conf.new" <<EOF
# pgBackRest configuration of the registry, written by scripts/backup.sh setup.
# It holds the repository's passphrase: readable by the postgres user only.
[global]
repo1-path=$repo
repo1-retention-full=${BACKUP_RETENTION_FULL:-4}
repo1-cipher-type=aes-256-cbc
repo1-cipher-pass=$pass
compress-type=zst
compress-level=3
process-max=${BACKUP_PROCESS_MAX:-2}
start-fast=y
log-path=$logpath
lock-path=$lockpath

[$stanza]
pg1-path=$pgdata
pg1-port=$pgport
pg1-socket-path=$pgsock
EOF
    )
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$conf.new"; fi
    mv "$conf.new" "$conf"
}

restart_server() {
    if [ -n "${BACKUP_RESTART:-}" ]; then
        bash -c "$BACKUP_RESTART"
    else
        as_pg "$bindir/pg_ctl" -D "$pgdata" -w -t 120 -m fast restart >/dev/null
    fi
}

setup() {
    write_conf
    local command="$pgbackrest --config=\"$conf\" --stanza=$stanza archive-push %p" restart=""
    # archive_mode and wal_level take effect at a restart only: their running values tell.
    [ "$(sql "SHOW archive_mode")" = on ] || restart=1
    if [ "$(sql "SHOW wal_level")" = minimal ]; then
        sql "ALTER SYSTEM SET wal_level = 'replica'" >/dev/null
        restart=1
    fi
    sql "ALTER SYSTEM SET archive_mode = 'on'" >/dev/null
    sql "ALTER SYSTEM SET archive_command = $(literal "$command")" >/dev/null
    sql "ALTER SYSTEM SET archive_timeout = '${BACKUP_ARCHIVE_TIMEOUT:-60}s'" >/dev/null
    if [ -n "$restart" ]; then
        echo "backup: restarting PostgreSQL to turn WAL archiving on"
        restart_server
    else
        sql "SELECT pg_reload_conf()" >/dev/null
        sleep 1 # the reload is asynchronous: let the archiver read the new command
    fi
    pgbr stanza-create
    pgbr check
    echo "backup: stanza $stanza ready: $conf, repository $repo"
}

backup() {
    local type="${1:-incr}" started
    case "$type" in full | diff | incr) ;; *) fail "backup type must be full, diff or incr" ;; esac
    started="$(now)"
    pgbr --type="$type" backup
    echo "backup: $type backup in $(seconds_since "$started") s"
}

restore() {
    local dir="" target="" archive=off
    while [ $# -gt 0 ]; do
        case "$1" in
            --to) dir="$2"; shift 2 ;;
            --target) target="$2"; shift 2 ;;
            --keep-archiving) archive=preserve; shift ;;
            *) fail "restore: unknown argument $1" ;;
        esac
    done
    [ -n "$dir" ] || fail "restore needs --to DIR, a new or empty data directory"
    if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
        fail "restore: $dir is not empty (restore into a fresh directory)"
    fi
    own_dir "$dir" 700
    # A restored copy must not push its WAL into the repository unless it becomes the primary.
    local options=(--pg1-path="$dir" --archive-mode="$archive")
    if [ -n "$target" ]; then options+=(--type=time --target="$target" --target-action=promote); fi
    local started
    started="$(now)"
    pgbr "${options[@]}" restore
    echo "backup: restored into $dir in $(seconds_since "$started") s${target:+ (target $target)}"
    echo "backup: start it with: pg_ctl -D $dir -o '-p PORT $(wal_settings "$dir")' start (as the postgres user)"
}

# Settings a restored cluster needs at least as high as its origin had them (or recovery stops):
# the origin may have set them on its command line, which a backup does not hold.
wal_settings() {
    as_pg "$bindir/pg_controldata" "$1" | awk -F': *' '
        $1 == "max_connections setting" { printf "-c max_connections=%s ", $2 }
        $1 == "max_worker_processes setting" { printf "-c max_worker_processes=%s ", $2 }
        $1 == "max_wal_senders setting" { printf "-c max_wal_senders=%s ", $2 }
        $1 == "max_prepared_xacts setting" { printf "-c max_prepared_transactions=%s ", $2 }
        $1 == "max_locks_per_xact setting" { printf "-c max_locks_per_transaction=%s ", $2 }'
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The registry's counts in the database of the cluster on port $1 with sockets in $2.
counts() {
    as_pg "$bindir/psql" -X -q -At -F ' ' -v ON_ERROR_STOP=1 -h "$2" -p "$1" -U postgres \
        -d "$database" -c "SELECT (SELECT count(*) FROM households), (SELECT count(*) FROM addresses),
            (SELECT count(*) FROM audit_events), (SELECT coalesce(max(at)::text, '-') FROM audit_events)"
}

drill() {
    local target=""
    while [ $# -gt 0 ]; do
        case "$1" in
            --target) target="$2"; shift 2 ;;
            *) fail "drill: unknown argument $1" ;;
        esac
    done
    local scratch
    scratch="$(mktemp -d "${TMPDIR:-/tmp}/registry-drill-XXXXXX")"
    chmod 755 "$scratch"
    own_dir "$scratch/run" 700
    touch "$scratch/server.log"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$scratch/server.log"; fi
    # shellcheck disable=SC2064  # the paths are fixed now
    trap "as_pg '$bindir/pg_ctl' -D '$scratch/data' -m immediate -w stop >/dev/null 2>&1 || true; rm -rf '$scratch'" EXIT
    local started restored port
    started="$(now)"
    restore --to "$scratch/data" ${target:+--target "$target"} >/dev/null
    restored="$(seconds_since "$started")"
    port="$(free_port)"
    started="$(now)"
    as_pg "$bindir/pg_ctl" -D "$scratch/data" -l "$scratch/server.log" -w -t 600 -o \
        "-p $port -k $scratch/run -c listen_addresses=127.0.0.1 $(wal_settings "$scratch/data") $quiet_log" \
        start >/dev/null || true
    # pg_ctl returns once the copy accepts connections, which it does during recovery.
    local tries=0 state=""
    until [ "$state" = f ]; do
        if ! as_pg "$bindir/pg_ctl" -D "$scratch/data" status >/dev/null 2>&1; then
            grep -E 'FATAL|DETAIL|HINT' "$scratch/server.log" >&2 || true
            fail "drill: the restored cluster stopped (a target after the last archived commit cannot be reached: omit --target to restore everything)"
        fi
        tries=$((tries + 1))
        [ "$tries" -lt 6000 ] || fail "drill: the restored cluster did not finish recovery in 10 minutes"
        sleep 0.1
        state="$(as_pg "$bindir/psql" -X -At -h "$scratch/run" -p "$port" -U postgres -d postgres \
            -c 'SELECT pg_is_in_recovery()' 2>/dev/null || true)"
    done
    local replayed segments restored_counts live_counts
    replayed="$(seconds_since "$started")"
    segments="$(grep -c 'restored log file' "$scratch/server.log" || true)"
    read -r -a restored_counts <<< "$(counts "$port" "$scratch/run")"
    read -r -a live_counts <<< "$(counts "$pgport" "$pgsock")"
    echo "drill: target ${target:-end of the archive}"
    echo "drill: restore seconds $restored"
    echo "drill: start and WAL replay seconds $replayed ($segments WAL segments from the archive)"
    echo "drill: households ${restored_counts[0]} (live ${live_counts[0]})"
    echo "drill: addresses ${restored_counts[1]} (live ${live_counts[1]})"
    echo "drill: audit events ${restored_counts[2]} (live ${live_counts[2]})"
    echo "drill: last audit event ${restored_counts[*]:3}"
    if [ -z "$target" ] && [ "${restored_counts[2]}" != "${live_counts[2]}" ]; then
        echo "drill: the copy lacks what the live database wrote since its last archived WAL segment" \
            "(at most archive_timeout seconds, or writes made during the drill)"
    fi
}

case "${1:-}" in
    setup) setup ;;
    backup) backup "${@:2}" ;;
    restore) restore "${@:2}" ;;
    info) pgbr info "${@:2}" ;;
    drill) drill "${@:2}" ;;
    *) echo "usage: $0 setup|backup [full|diff|incr]|restore --to DIR [--target TIME]|info|drill [--target TIME]" >&2; exit 2 ;;
esac
