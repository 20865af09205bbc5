# Sourced by serve.sh and test.sh: Debian's HAProxy, the reverse proxy of a multi-worker server.
#
# Only the binary is wanted: serve.sh runs its own haproxy with deploy/haproxy.cfg in the
# foreground; the package's own service is kept from starting (policy script) and stopped if it did.

ensure_haproxy() {
  if command -v haproxy >/dev/null 2>&1; then
    return 0
  fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "warning: haproxy is missing and apt is not available as root;" \
      "scripts/serve.sh --workers N and its test need it (apt-get install haproxy)" >&2
    return 0
  fi
  echo "Installing haproxy with apt (reverse proxy for serve.sh --workers; no service started) ..." >&2
  local policy=/usr/sbin/policy-rc.d had_policy=0
  [ -e "$policy" ] && had_policy=1
  if [ "$had_policy" = 0 ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"  # exit 101: invoke-rc.d starts no service
    chmod 755 "$policy"
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy >/dev/null
  if [ "$had_policy" = 0 ]; then
    rm -f "$policy"
  fi
  if command -v service >/dev/null 2>&1; then
    service haproxy stop >/dev/null 2>&1 || true
  fi
}
