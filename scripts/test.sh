#!/usr/bin/env bash
# The whole test suite: quality gates, Go tests with the race detector, and
# the acceptance checks with real pip and twine against a built binary.
# Installs what it needs when it is missing (Debian packages need root).
#
#   ./scripts/test.sh              everything
#   QUICK=1 ./scripts/test.sh      gates and Go tests only
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
SHARED="${SHARED:-$ROOT/../shared}"
export PATH="$PATH:$(go env GOPATH)/bin"
STATICCHECK_VERSION=v0.8.2   # staticcheck 2026.2.2

step() { printf '\n== %s\n' "$*"; }

step "tools"
"$SHARED/tools/install-clients.sh"
if ! command -v staticcheck >/dev/null || ! staticcheck -version | grep -q "${STATICCHECK_VERSION#v}"; then
  GOFLAGS= go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi

step "gofmt"
bad="$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"
if [ -n "$bad" ]; then echo "gofmt would change:"; echo "$bad"; exit 1; fi

step "go vet"
go vet ./...

step "staticcheck"
staticcheck ./...

step "go test -race"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# -v so that skipped tests are visible: a skip is a failure here, because
# every suite must start what it needs (PostgreSQL, S3) itself.
if ! go test -race -count=1 -timeout 20m -v ./... > "$log" 2>&1; then
  grep -E '^(--- FAIL|FAIL|panic:|ok|\s+\S+_test\.go:[0-9]+:)' "$log" | tail -80
  echo "go test failed"; exit 1
fi
grep -E '^(ok|FAIL|\?)\s' "$log"
if grep -E -- '--- SKIP' "$log"; then echo "tests were skipped: every test must run"; exit 1; fi
passed="$(grep -cE -- '^\s*--- PASS' "$log" || true)"
echo "go test: $passed passed, 0 failed"

if [ "${QUICK:-0}" = 1 ]; then exit 0; fi

# Two runs, each against a fresh server and data directory, in a scratch
# directory of their own: uploads with twine (a-g), then the import path
# (i, c-g) with a 60 MiB upstream wheel that has no upstream metadata.
# STRICT=1 counts the SHOULD-level checks too.
acc() {
  local work; work="$(mktemp -d "${TMPDIR:-/tmp}/sluice-acceptance.XXXXXX")"
  step "acceptance: ONLY=\"$1\" ${2:-} (real pip and twine; scratch $work)"
  env ACC_WORK="$work" ONLY="$1" STRICT=1 ${2:-} "$SHARED/acceptance/sluice.sh" "$ROOT"
  local rc=$?
  [ $rc = 0 ] && rm -rf "$work"
  return $rc
}
if [ -n "${ONLY:-}" ]; then
  acc "$ONLY"
else
  acc "a b c d e f g"
  acc "i c d e f g" BIG_MB=60
fi
