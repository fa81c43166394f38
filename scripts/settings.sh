#!/usr/bin/env bash
# Write the settings file that `make run`, the server and every CLI command share
# (var/registry.env; read by api/core/config.py, the environment still wins).
#
#   scripts/settings.sh [FILE]
#
# Keeps an existing SECRET_KEY (or takes the one an older checkout kept in var/secret_key),
# otherwise makes a random one; likewise a random PII_KEY (kept once made); records the rate-limit store (the local Redis of
# scripts/ensure-redis.sh unless RATELIMIT_STORAGE_URI is given), the worker count, and
# the database URLs (and DATABASE_POOLER) when they are set. The file is readable by its owner only.
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
# The master key of sealed personal data: never replaced here (a new one would lock every
# sealed citizen ID and phone away); rotate it with `flask pii rotate-key` (README).
if ! grep -q '^PII_KEY=.' "$file"; then
    set_key PII_KEY "$(python3 -c 'import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())')"
fi
set_key RATELIMIT_STORAGE_URI "${RATELIMIT_STORAGE_URI:-redis://127.0.0.1:${REDIS_PORT:-6379}/0}"
set_key WORKERS "${WORKERS:-2}"
# `make run` serves production mode on http://127.0.0.1 (no TLS on this machine): allow it.
set_key ALLOW_HTTP_BASE_URL 1
# A server of yours: the app role's URL, and the owner's for migrations (see the README); and
# whether the service reaches it through a transaction pooler.
for name in DATABASE_URL DATABASE_OWNER_URL DATABASE_READ_URL DATABASE_POOLER; do
    if [ -n "${!name:-}" ]; then
        set_key "$name" "${!name}"
    fi
done
