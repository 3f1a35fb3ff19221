#!/usr/bin/env bash
# Build (or reuse) the controllers that act on what the stacks apply to local clusters, run as
# local processes (`scripts/local-cluster up STACK --controllers`): the MinIO server behind the
# bucket state store, and Flux's source-controller and kustomize-controller that sync each
# destination. All from Go modules at the versions the stacks pin (tools/<name>/go.mod says
# where the proxy made us take another); no prebuilt binary is downloaded.
#
# Kratix itself is not built here: the Go module proxy refuses every version of
# github.com/syntasso/kratix. A Kratix manager binary you have (IDP_KRATIX_BIN) is run as is.
#
# Usage: scripts/controllers-bootstrap.sh [REPO_ROOT]
# The last line on stdout is the bin directory. Progress goes to stderr.
#
# Environment:
#   IDP_ENGINE_CACHE   cache root, shared with the engine (default: $HOME/.cache/idp-engine)
#   IDP_ENGINE_NICE    nice level for go builds (default: 15)
#   GO                 go command (default: go on PATH, else /usr/local/go/bin/go)
set -euo pipefail

MINIO_RELEASE=RELEASE.2025-09-07T16-13-09Z
SOURCE_CONTROLLER_VERSION=1.7.0
KUSTOMIZE_CONTROLLER_VERSION=1.6.0

BOOTSTRAP=controllers-bootstrap
. "$(dirname "${BASH_SOURCE[0]}")/bootstrap-lib.sh"

wrapper_module_setup "${1:-}"

MODULES=(minio flux-source-controller flux-kustomize-controller)
inputs_hash() {
	(cd "$TOOLS" && find "${MODULES[@]}" -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) \
		-print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12
}
OUT=$CACHE/controllers-minio-${MINIO_RELEASE#RELEASE.}_source-${SOURCE_CONTROLLER_VERSION}_kustomize-${KUSTOMIZE_CONTROLLER_VERSION}_$("$GO" env GOVERSION)_$(inputs_hash)
BIN=$OUT/bin
mkdir -p "$BIN"

# Cold, each takes minutes on 2 cores: say so, not silence.
BUILD_HINT="a few minutes on 2 cores, cold"
reuse_or_lock minio source-controller kustomize-controller

# MinIO reports its release (and compares it for update notices) from these variables.
minio_time=${MINIO_RELEASE#RELEASE.}
minio_flags="-X github.com/minio/minio/cmd.ReleaseTag=$MINIO_RELEASE \
-X github.com/minio/minio/cmd.Version=${minio_time:0:13}:${minio_time:14:2}:${minio_time:17:3}"
build minio github.com/minio/minio minio "$minio_flags"
build flux-source-controller github.com/fluxcd/source-controller source-controller
build flux-kustomize-controller github.com/fluxcd/kustomize-controller kustomize-controller

log "done: $BIN"
printf '%s\n' "$BIN"
