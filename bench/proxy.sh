#!/usr/bin/env bash
# The proxy's figures, as ratios against nginx in one run, on loopback:
#
#   1. warm upstream project page: Sluice req/s vs nginx serving the same
#      bytes as a static file (wrk, 64 connections);
#   2. warm 1 GiB wheel download: Sluice vs nginx throughput (curl);
#   3. Sluice's resident memory during 32 concurrent 1 GiB downloads;
#   4. 50 concurrent cold requests for one uncached file: upstream GETs
#      (from the fake upstream's own log) and identical, correct bytes;
#   5. upstream stopped after a warm-up: pip installs every package it
#      installed before (new venv, no pip cache), and pages carry
#      X-Sluice-Stale;
#   6. a public-scale root listing (886,000 names from
#      ../shared/data/pypi-names.txt.gz) merged with hosted names: time
#      and Sluice's resident memory.
#
#   bench/proxy.sh                      # ~3 minutes, after a one-off corpus build
#   DURATION=5s BIG_MB=256 bench/proxy.sh
#
# Needs wrk, curl, Debian's nginx (/usr/sbin/nginx, run as nobody from a
# throwaway prefix) and pyenv's Python 3.11.7 for pip.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
DURATION="${DURATION:-10s}"
BIG_MB="${BIG_MB:-1024}"
NGINX="${NGINX:-/usr/sbin/nginx}"
PY="${PY:-$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")/versions/3.11.7/bin/python}"
for c in wrk curl "$NGINX" "$PY"; do command -v "$c" >/dev/null || { echo "proxy.sh: $c is missing"; exit 1; }; done
WORK="$(mktemp -d /tmp/sluice-proxy.XXXXXX)"
chmod 755 "$WORK"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
wait_http() { for _ in $(seq 200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done; echo "proxy.sh: $1 does not answer"; exit 1; }

(cd "$ROOT" && go build -o "$WORK/sluice" ./cmd/sluice)
DATA="${UPSTREAM_DATA:-/tmp/sluice-fakepypi-big}"
python3 "$SHARED/fakepypi/build_upstream.py" --out "$DATA" --big-mb "$BIG_MB" --if-stale > "$WORK/build.log" 2>&1
BIG="$(cd "$DATA/files" && ls big_data_pkg-*.whl)"

FP_PORT="$(free_port)"
python3 "$SHARED/fakepypi/serve.py" --data "$DATA" --port "$FP_PORT" --log "$WORK/upstream.log" > "$WORK/fakepypi.out" 2>&1 &
FP_PID=$!
PIDS+=("$FP_PID")
PORT="$(free_port)"
cat > "$WORK/sluice.yaml" <<YAML
listen: 127.0.0.1:$PORT
data_dir: $WORK/data
cache: {max_size: 20GiB}
repositories:
  local: {type: hosted}
  pypi: {type: upstream, url: "http://127.0.0.1:$FP_PORT/simple/", page_ttl: 5s, timeout: 5s}
  main: {type: priority, sources: [local, pypi]}
indexes:
  - {path: /simple/, repository: main, upload: local}
YAML
"$WORK/sluice" serve --config "$WORK/sluice.yaml" 2> "$WORK/sluice.log" &
SL_PID=$!
PIDS+=("$SL_PID")
wait_http "http://127.0.0.1:$PORT/healthz"
wait_http "http://127.0.0.1:$FP_PORT/simple/"
S="http://127.0.0.1:$PORT"
echo "machine: $(nproc) cores; loopback; wrk $DURATION at 64 connections"

# --- 4. cold coalescing (first: nothing is cached yet) ---
COLD="$(cd "$DATA/files" && ls setuptools-*.whl | head -1)"
COLD_SHA="$(sha256sum "$DATA/files/$COLD" | cut -d' ' -f1)"
curl -sf -o /dev/null "$S/simple/setuptools/"
CJ=()
for i in $(seq 50); do curl -sf -o "$WORK/cold.$i" "$S/simple/setuptools/$COLD" & CJ+=($!); done
wait_cold=0
for p in "${CJ[@]}"; do wait "$p" || wait_cold=$((wait_cold + 1)); done
GOOD="$(sha256sum "$WORK"/cold.* | awk -v want="$COLD_SHA" '$1 == want' | wc -l)"
GETS="$(python3 -c '
import json, sys
n = sum(1 for l in open(sys.argv[1]) if (r := json.loads(l))["method"] == "GET" and r["path"].endswith("/" + sys.argv[2]))
print(n)' "$WORK/upstream.log" "$COLD")"
echo "cold: 50 concurrent requests for $COLD (uncached): $GETS upstream GET(s); $GOOD/50 clients got the right bytes (curl failures: $wait_cold)"
rm -f "$WORK"/cold.*

# --- nginx, serving the same bytes as static files ---
NG="$WORK/nginx"
mkdir -p "$NG/html" "$NG/logs"
NG_PORT="$(free_port)"
JSON='application/vnd.pypi.simple.v1+json'
curl -sf -H "Accept: $JSON" -o "$NG/html/page.json" "$S/simple/beta-utils/"
cat > "$NG/nginx.conf" <<CONF
worker_processes auto;
pid $NG/nginx.pid;
error_log $NG/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path $NG/tmp;
  proxy_temp_path $NG/tmp;
  fastcgi_temp_path $NG/tmp;
  uwsgi_temp_path $NG/tmp;
  scgi_temp_path $NG/tmp;
  types { application/vnd.pypi.simple.v1+json json; application/octet-stream whl; }
  server { listen 127.0.0.1:$NG_PORT; root $NG/html; }
}
CONF
mkdir -p "$NG/tmp"

# --- 1. warm project page ---
curl -sf -o /dev/null -H "Accept: $JSON" "$S/simple/beta-utils/"
SL_RPS="$(wrk -t2 -c64 -d"$DURATION" -H "Accept: $JSON" "$S/simple/beta-utils/" | awk '/Requests\/sec/{print $2}')"
# what the Go HTTP stack alone (and the access log) reaches on this machine
HZ_RPS="$(wrk -t2 -c64 -d"$DURATION" "$S/healthz" | awk '/Requests\/sec/{print $2}')"

# --- 2. warm 1 GiB download (the first GET fills the cache) ---
curl -sf -o /dev/null "$S/simple/big-data-pkg/"
curl -sf -o /dev/null "$S/simple/big-data-pkg/$BIG"
BLOB="$(find "$WORK/data/blobs/sha256" -type f -size +$((BIG_MB / 2))M | head -1)"
ln "$BLOB" "$NG/html/$BIG"
chmod 644 "$NG/html/$BIG" "$NG/html/page.json"
chown -R nobody "$NG"
runuser -u nobody -- "$NGINX" -p "$NG" -c "$NG/nginx.conf" -g 'daemon off;' 2> "$NG/logs/stderr" &
PIDS+=($!)
N="http://127.0.0.1:$NG_PORT"
wait_http "$N/page.json"
NG_RPS="$(wrk -t2 -c64 -d"$DURATION" -H "Accept: $JSON" "$N/page.json" | awk '/Requests\/sec/{print $2}')"
echo "warm project page: sluice $SL_RPS req/s, nginx $NG_RPS req/s: ratio $(ratio "$SL_RPS" "$NG_RPS")"
echo "  (sluice /healthz, the HTTP stack alone: $HZ_RPS req/s, $(ratio "$HZ_RPS" "$NG_RPS") of nginx)"

best() { # URL: best of 3 downloads, bytes/s
  local b=0 v
  for _ in 1 2 3; do
    v="$(curl -sf -o /dev/null -w '%{speed_download}' "$1")"
    b="$(python3 -c 'import sys; print(max(float(sys.argv[1]), float(sys.argv[2])))' "$b" "$v")"
  done
  echo "$b"
}
SL_BPS="$(best "$S/simple/big-data-pkg/$BIG")"
NG_BPS="$(best "$N/$BIG")"
echo "warm ${BIG_MB} MiB download: sluice $(python3 -c "print('%.0f' % ($SL_BPS/2**20))") MiB/s, nginx $(python3 -c "print('%.0f' % ($NG_BPS/2**20))") MiB/s: ratio $(ratio "$SL_BPS" "$NG_BPS")"

# --- 3. resident memory during 32 concurrent downloads ---
BEFORE="$(rss_kb "$SL_PID")"
T0="$(date +%s.%N)"
DL=()
for i in $(seq 32); do curl -sf --limit-rate 200M -o /dev/null "$S/simple/big-data-pkg/$BIG" & DL+=($!); done
PEAK=0
running() { for p in "${DL[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
while running; do
  r="$(rss_kb "$SL_PID")"; [ "$r" -gt "$PEAK" ] && PEAK="$r"
  sleep 0.1
done
FAILED=0
for p in "${DL[@]}"; do wait "$p" || FAILED=$((FAILED + 1)); done
SECS="$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$T0" "$(date +%s.%N)")"
echo "memory: sluice VmRSS $((BEFORE / 1024)) MiB before, peak $((PEAK / 1024)) MiB during 32 concurrent ${BIG_MB} MiB downloads ($SECS s, $FAILED failed)"

# --- 5. outage: pip installs everything it installed before ---
PKGS="alpha-lib beta-utils gamma-py zeta-name-mixed xss-probe omega-app delta-sdist-only"
"$PY" -m venv "$WORK/venv1"
"$WORK/venv1/bin/pip" install -q --disable-pip-version-check --no-cache-dir --index-url "$S/simple/" $PKGS > "$WORK/pip1.log" 2>&1 \
  || { echo "outage: warm-up install failed"; tail -5 "$WORK/pip1.log"; }
WANT="$("$WORK/venv1/bin/pip" list --format=freeze 2>/dev/null | sort)"
kill "$FP_PID"; wait "$FP_PID" 2>/dev/null || true
sleep 6 # past page_ttl: every page must now come from the store, flagged stale
STALE="$(curl -s -D - -o /dev/null "$S/simple/beta-utils/" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-sluice-stale"{print $2}')"
READY="$(curl -s -o /dev/null -w '%{http_code}' "$S/readyz")"
"$PY" -m venv "$WORK/venv2"
"$WORK/venv2/bin/pip" install -q --disable-pip-version-check --no-cache-dir --index-url "$S/simple/" $PKGS > "$WORK/pip2.log" 2>&1 || true
GOT="$("$WORK/venv2/bin/pip" list --format=freeze 2>/dev/null | sort)"
NWANT="$(echo "$WANT" | grep -c . || true)"
NGOT="$(comm -12 <(echo "$WANT") <(echo "$GOT") | grep -c . || true)"
echo "outage: upstream stopped; pip installed $NGOT/$NWANT of the previously installed distributions; X-Sluice-Stale: '$STALE'; /readyz $READY"

# --- 6. public-scale root listing ---
LIST="$WORK/names/simple"
mkdir -p "$LIST"
python3 - "$SHARED/data/pypi-names.txt.gz" "$LIST/index.html" <<'PY'
import gzip, html, sys
with gzip.open(sys.argv[1], "rt") as f, open(sys.argv[2], "w") as out:
    out.write("<!DOCTYPE html>\n<html><body>\n")
    for line in f:
        n = line.strip()
        if n:
            out.write('<a href="/simple/%s/">%s</a>\n' % (html.escape(n), html.escape(n)))
    out.write("</body></html>\n")
PY
L_PORT="$(free_port)"
python3 -m http.server -b 127.0.0.1 -d "$WORK/names" "$L_PORT" > /dev/null 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$L_PORT/simple/"
P2="$(free_port)"
cat > "$WORK/list.yaml" <<YAML
listen: 127.0.0.1:$P2
data_dir: $WORK/data2
repositories:
  local: {type: hosted}
  pypi: {type: upstream, url: "http://127.0.0.1:$L_PORT/simple/"}
  main: {type: priority, sources: [local, pypi]}
indexes:
  - {path: /simple/, repository: main, upload: local}
YAML
"$WORK/sluice" serve --config "$WORK/list.yaml" 2> "$WORK/sluice2.log" &
L_PID=$!
PIDS+=("$L_PID")
wait_http "http://127.0.0.1:$P2/healthz"
L0="$(rss_kb "$L_PID")"
T="$(curl -sf -o "$WORK/list.out" -w '%{time_total}' "http://127.0.0.1:$P2/simple/")"
L1="$(rss_kb "$L_PID")"
T2="$(curl -sf -o /dev/null -w '%{time_total}' "http://127.0.0.1:$P2/simple/")"
L2="$(rss_kb "$L_PID")"
echo "root listing: $(grep -c '<a ' "$WORK/list.out") names; cold ${T}s, warm ${T2}s; sluice VmRSS $((L0 / 1024)) MiB idle, $((L1 / 1024)) MiB after the cold listing, $((L2 / 1024)) MiB after a warm one"
curl -s "$S/metrics" | grep -E '^sluice_cache_(hits|misses|upstream_fetches)_total' | tr '\n' ' '; echo
