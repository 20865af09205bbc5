#!/usr/bin/env bash
# Serve the dashboard with N Streamlit processes behind HAProxy (issue 22: a city at once).
#
#   scripts/serve.sh --workers 2 [--port 8501] [--worker-port 8601] [--address 127.0.0.1]
#
# Starts N `streamlit run app.py` workers on loopback ports worker-port .. worker-port+N-1 and
# HAProxy on address:port with deploy/haproxy.cfg (sticky cookie: a browser's websocket, downloads
# and sign-on callback reach one worker). One Python process uses one core (the interpreter lock):
# one worker per core. All workers read the same store (HEATMAP_DB, else the demo); an import from
# the data page publishes a new version of the store file that every worker picks up at its next
# run. Ctrl-C or SIGTERM stops the proxy and the workers. scripts/run.sh stays the one-process demo.
# HEATMAP_VENV=/path/to/venv uses that environment instead of installing .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
workers=2 port="${PORT:-8501}" worker_port=8601 address=127.0.0.1
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) workers="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --worker-port) worker_port="$2"; shift 2 ;;
    --address) address="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "serve.sh: unknown option $1 (expected --workers N, --port P, --worker-port P, --address A)" >&2; exit 2 ;;
  esac
done
if ! [[ "$workers" =~ ^[1-9][0-9]*$ ]]; then
  echo "serve.sh: --workers must be a whole number >= 1, got '$workers'" >&2
  exit 2
fi
source scripts/_venv.sh
source scripts/_haproxy.sh
if [ -n "${HEATMAP_VENV:-}" ]; then
  venv="$HEATMAP_VENV"
else
  ensure_venv requirements.txt
  venv=.venv
fi
ensure_haproxy
run_dir="${HEATMAP_RUN_DIR:-$(mktemp -d -t heatmap-serve.XXXXXX)}"
mkdir -p "$run_dir"
# one cookie secret for every worker: a sign-on cookie signed by one is accepted by the others
export STREAMLIT_SERVER_COOKIE_SECRET="${STREAMLIT_SERVER_COOKIE_SECRET:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}"

servers=""
for i in $(seq 1 "$workers"); do
  servers+="    server w$i 127.0.0.1:$((worker_port + i - 1)) check cookie w$i\n"
done
sed -e "s|@BIND@|$address:$port|" -e "s|^    # @SERVERS@|$servers|" deploy/haproxy.cfg >"$run_dir/haproxy.cfg"

pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

for i in $(seq 1 "$workers"); do
  "$venv/bin/streamlit" run app.py --server.port "$((worker_port + i - 1))" \
    --server.address 127.0.0.1 --server.headless true --server.fileWatcherType none \
    >"$run_dir/worker$i.log" 2>&1 &
  pids+=($!)
done
for i in $(seq 1 "$workers"); do  # each worker answers its health check (bounded wait)
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$((worker_port + i - 1))/_stcore/health" >/dev/null && break
    sleep 0.5
  done
done
haproxy -f "$run_dir/haproxy.cfg" -db >"$run_dir/haproxy.log" 2>&1 &
pids+=($!)
echo "serving http://$address:$port with $workers workers (ports $worker_port-$((worker_port + workers - 1)); logs in $run_dir)" >&2
wait -n "${pids[@]}"
echo "serve.sh: a process ended; stopping the others (logs in $run_dir)" >&2
