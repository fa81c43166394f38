#!/usr/bin/env bash
# Write the settings file that `make run`, the server and every CLI command share
# (var/registry.env; read by api/core/config.py, the environment still wins).
#
#   scripts/settings.sh [FILE]
#
# Keeps an existing SECRET_KEY (or takes the one an older checkout kept in var/secret_key),
# otherwise makes a random one; records the rate-limit store (the local Redis of
# scripts/ensure-redis.sh unless RATELIMIT_STORAGE_URI is given), the worker count, and
# DATABASE_URL when it is set. The file is readable by its owner only.
set -euo pipefail
file="${1:-var/registry.env}"
mkdir -p "$(dirname "$file")"
touch "$file"
chmod 600 "$file"

set_key() {
    { grep -v "^$1=" "$file" || true; echo "$1=$2"; } > "$file.new"
    chmod 600 "$file.new"
    mv "$file.new" "$file"
}

if ! grep -q '^SECRET_KEY=.' "$file"; then
    old="$(dirname "$file")/secret_key"
    if [ -s "$old" ]; then
        set_key SECRET_KEY "$(cat "$old")"
    else
        set_key SECRET_KEY "$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
    fi
fi
set_key RATELIMIT_STORAGE_URI "${RATELIMIT_STORAGE_URI:-redis://127.0.0.1:${REDIS_PORT:-6379}/0}"
set_key WORKERS "${WORKERS:-2}"
if [ -n "${DATABASE_URL:-}" ]; then
    set_key DATABASE_URL "$DATABASE_URL"
fi
