# Shared by run.sh and test.sh: a project-local virtual environment, reinstalled when the pins change.

ensure_venv() {
  local reqs="$1"
  local py="${PYTHON:-python3}"
  [ -x .venv/bin/python ] || "$py" -m venv .venv
  local stamp=".venv/.installed-$(cat "$reqs" requirements.txt pyproject.toml | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "Installing $reqs into .venv ..." >&2
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -r "$reqs"
    .venv/bin/python -m pip install -q --no-deps -e .
    touch "$stamp"
  fi
}

ensure_browser() {
  # Debian chromium for the browser test and a CJK font so Chinese renders in it (no browser download).
  if command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; then
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing chromium and fonts-noto-cjk with apt ..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "warning: chromium or a CJK font is missing and apt is not available; the browser test will be skipped" >&2
  fi
}
