#!/usr/bin/env bash
# Makes sure the PostgreSQL and Redis that the tests use are running, starting installed servers and, with
# --install, installing missing ones from Debian's packages. It also enables logical decoding (wal_level=logical)
# for the CDC tests. Only acts on a local server (127.0.0.1); a remote PG_URL/REDIS_URL is left alone.
set -euo pipefail

install=false
[[ "${1:-}" == "--install" ]] && install=true

PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }
say() { echo "services: $*"; }

is_local() { [[ "$1" == *"127.0.0.1"* || "$1" == *"localhost"* ]]; }
pg_up() { pg_isready -q -d "$PG_URL" >/dev/null 2>&1; }
redis_up() { redis-cli -u "$REDIS_URL" ping 2>/dev/null | grep -q PONG; }

apt_install() {
  if ! $install; then
    say "$1 is not installed. Run: bash scripts/services.sh --install (apt-get), or set $2 to a running server." >&2
    exit 1
  fi
  say "installing $1 with apt-get"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$1" >/dev/null
}

start_pg_clusters() {
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  # Trust local TCP connections for the test user, as on the development machines.
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  if ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
}

ensure_postgres() {
  if ! is_local "$PG_URL"; then say "PG_URL is remote; not managing it"; return; fi
  if ! command -v pg_ctlcluster >/dev/null; then apt_install postgresql PG_URL; fi
  command -v pg_isready >/dev/null || apt_install postgresql-client PG_URL
  if ! pg_up; then say "starting PostgreSQL"; start_pg_clusters; fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { say "PostgreSQL did not start at $PG_URL" >&2; exit 1; }
  # CDC tests need logical decoding; changing wal_level needs a restart.
  if [[ $(psql "$PG_URL" -Atc 'SHOW wal_level') != logical ]]; then
    say "enabling wal_level=logical (restarting PostgreSQL)"
    psql "$PG_URL" -qc 'ALTER SYSTEM SET wal_level = logical' >/dev/null
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main restart
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  say "PostgreSQL ready ($(psql "$PG_URL" -Atc 'SHOW server_version'), wal_level=$(psql "$PG_URL" -Atc 'SHOW wal_level'))"
}

ensure_redis() {
  if ! is_local "$REDIS_URL"; then say "REDIS_URL is remote; not managing it"; return; fi
  command -v redis-server >/dev/null || apt_install redis-server REDIS_URL
  if ! redis_up; then
    say "starting Redis"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
  fi
  for _ in $(seq 1 30); do redis_up && break; sleep 0.5; done
  redis_up || { say "Redis did not start at $REDIS_URL" >&2; exit 1; }
  say "Redis ready ($(redis-cli -u "$REDIS_URL" INFO server | grep -m1 redis_version | tr -d '\r'))"
}

ensure_postgres
ensure_redis
