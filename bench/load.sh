#!/usr/bin/env bash
# Load run on loopback: requests per second for warm project pages at 64
# connections, with wrk (Debian's package), bounded in time.
#
#   bench/load.sh                 # 10 s per target
#   DURATION=5s bench/load.sh
#
# Builds sluice, starts the fake upstream (../shared/fakepypi) and Sluice
# (hosted + upstream behind a priority node), imports one in-house wheel,
# then loads: the upstream project page (pip's Accept, JSON), the same page
# as HTML, the hosted project page, and /healthz as the baseline of what the
# HTTP stack alone reaches on this machine. Prints one line per target and
# the ratio of each to the baseline.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-64}"
command -v wrk >/dev/null || { echo "load.sh: wrk is not installed (apt-get install wrk)"; exit 1; }
WORK="$(mktemp -d /tmp/sluice-load.XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

(cd "$ROOT" && go build -o "$WORK/sluice" ./cmd/sluice)
DATA="${UPSTREAM_DATA:-/tmp/sluice-fakepypi-data}"
python3 "$SHARED/fakepypi/build_upstream.py" --out "$DATA" --if-stale > "$WORK/build.log" 2>&1
FP_PORT="$(free_port)"
python3 "$SHARED/fakepypi/serve.py" --data "$DATA" --port "$FP_PORT" > "$WORK/fakepypi.log" 2>&1 &
PIDS+=($!)
PORT="$(free_port)"
cat > "$WORK/sluice.yaml" <<YAML
listen: 127.0.0.1:$PORT
data_dir: $WORK/data
repositories:
  local: {type: hosted}
  pypi: {type: upstream, url: "http://127.0.0.1:$FP_PORT/simple/", page_ttl: 1h}
  main: {type: priority, sources: [local, pypi]}
indexes:
  - {path: /simple/, repository: main, upload: local}
YAML
"$WORK/sluice" import --config "$WORK/sluice.yaml" "$DATA"/files/alpha_lib-1.0.0-py3-none-any.whl > /dev/null 2>&1 || true
# the imported wheel lands as in-house "alpha-lib"; beta-utils stays upstream
"$WORK/sluice" serve --config "$WORK/sluice.yaml" 2> "$WORK/sluice.log" &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

JSON='application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01'
run() { # NAME URL [ACCEPT]
  local name="$1" url="$2" accept="${3:-text/html}"
  curl -sf -H "Accept: $accept" -o /dev/null "$url" || { echo "$name: warm-up request failed"; exit 1; }
  local rps
  rps="$(wrk -t2 -c"$CONNS" -d"$DURATION" -H "Accept: $accept" "$url" | awk '/Requests\/sec/{print $2}')"
  printf '%-40s %10s req/s\n' "$name" "$rps"
  echo "$rps"> "$WORK/rps.$name"
}
echo "wrk: $CONNS connections, $DURATION per target, loopback, $(nproc) cores"
run healthz "http://127.0.0.1:$PORT/healthz"
run upstream-page-json "http://127.0.0.1:$PORT/simple/beta-utils/" "$JSON"
run upstream-page-html "http://127.0.0.1:$PORT/simple/beta-utils/" text/html
run hosted-page-json "http://127.0.0.1:$PORT/simple/alpha-lib/" "$JSON"
base="$(cat "$WORK/rps.healthz")"
for n in upstream-page-json upstream-page-html hosted-page-json; do
  python3 -c "import sys; print('%-40s %10.2f of the /healthz baseline' % (sys.argv[1], float(sys.argv[2])/float(sys.argv[3])))" "$n" "$(cat "$WORK/rps.$n")" "$base"
done
