#!/usr/bin/env bash
# Install (Debian packages, when missing) and start PostgreSQL, Redis and Chromium for the tests.
# Prints the environment to use, as `export` lines, on stdout; progress goes to stderr.
set -euo pipefail

PG_USER=crm
PG_PASSWORD=crm-test
PG_DB=crm

log() { echo "services: $*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

apt_install postgresql redis-server chromium faketime

# PostgreSQL: Debian's cluster, started if down, with a login role allowed to create test databases.
PG_VERSION=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | grep -q "^$PG_VERSION main"; then
  as_root pg_createcluster "$PG_VERSION" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1==v && $2=="main" {print $4}' | grep -q online; then
  as_root pg_ctlcluster "$PG_VERSION" main start >&2
fi
PG_PORT=$(pg_lsclusters -h | awk -v v="$PG_VERSION" '$1==v && $2=="main" {print $3}')
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 1; done
psql_admin() { as_root runuser -u postgres -- psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql_admin -c "select 1 from pg_roles where rolname='$PG_USER'")" != 1 ]; then
  psql_admin -c "create role $PG_USER login createdb password '$PG_PASSWORD'" >&2
fi
if [ "$(psql_admin -c "select 1 from pg_database where datname='$PG_DB'")" != 1 ]; then
  psql_admin -c "create database $PG_DB owner $PG_USER" >&2
fi
log "PostgreSQL $(psql_admin -c 'show server_version') on port $PG_PORT"

# Redis on loopback, no persistence: the broker for the test worker.
REDIS_PORT=6379
if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >&2
  for _ in $(seq 1 30); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.3; done
fi
log "Redis $(redis-cli -p "$REDIS_PORT" info server | sed -n 's/^redis_version:\(.*\)\r$/\1/p') on port $REDIS_PORT"

echo "export DATABASE_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
echo "export CELERY_BROKER_URL=redis://127.0.0.1:$REDIS_PORT/15"
echo "export CHROMIUM_PATH=$(command -v chromium)"
