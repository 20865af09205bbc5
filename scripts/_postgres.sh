# Sourced by the test scripts: Debian's PostgreSQL server binaries for the 督导工作台 tests.
#
# tests/supervision/conftest.py starts its own throw-away server (initdb + pg_ctl, as the
# `postgres` user when run as root, on 127.0.0.1 and a free port) and stops it at the end; it only
# needs the binaries under /usr/lib/postgresql/<version>/bin. The package's own cluster is not
# wanted: the policy script below keeps apt from starting it, and any cluster apt created anyway
# is stopped.

postgres_bin() {
  # The newest installed server's bin folder, or nothing.
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

ensure_postgres() {
  local bin
  bin="$(postgres_bin)"
  if [ -n "$bin" ] && [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ]; then
    return 0
  fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "warning: PostgreSQL's initdb/pg_ctl are missing and apt is not available as root;" \
      "the PostgreSQL tests of tests/supervision will be skipped" >&2
    return 0
  fi
  echo "Installing postgresql with apt (server binaries for the tests; no service started) ..." >&2
  local policy=/usr/sbin/policy-rc.d had_policy=0
  [ -e "$policy" ] && had_policy=1
  if [ "$had_policy" = 0 ]; then
    # exit 101: "action forbidden" -- invoke-rc.d then starts no service during the install
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    postgresql >/dev/null
  if [ "$had_policy" = 0 ]; then
    rm -f "$policy"
  fi
  # a cluster the package created (main) is not used by the tests: make sure it is not running
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters --no-header 2>/dev/null | while read -r version name _; do
      pg_ctlcluster "$version" "$name" stop >/dev/null 2>&1 || true
    done
  fi
}
