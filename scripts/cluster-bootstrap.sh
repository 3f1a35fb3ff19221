#!/usr/bin/env bash
# Build (or reuse) a Kubernetes control plane without containers, from Go modules:
# kube-apiserver, kube-controller-manager, kube-scheduler (k8s.io/kubernetes), etcd and
# kwok/kwokctl (which simulates nodes and pod lifecycles). No prebuilt binary is downloaded.
#
# Usage: scripts/cluster-bootstrap.sh [REPO_ROOT]
# The last line on stdout is the bin directory. Progress goes to stderr.
#
# Environment:
#   IDP_ENGINE_CACHE   cache root, shared with the engine (default: $HOME/.cache/idp-engine)
#   IDP_ENGINE_NICE    nice level for go builds (default: 15)
#   GO                 go command (default: go on PATH, else /usr/local/go/bin/go)
set -euo pipefail

KUBE_VERSION=1.36.3
ETCD_VERSION=3.6.8
KWOK_VERSION=0.8.0

BOOTSTRAP=cluster-bootstrap
. "$(dirname "${BASH_SOURCE[0]}")/bootstrap-lib.sh"

wrapper_module_setup "${1:-}"

inputs_hash() {
	(cd "$TOOLS" && find kube-control-plane etcd kwok -type f \( -name go.mod -o -name go.sum \
		-o -name '*.go' \) -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12
}
OUT=$CACHE/cluster-k8s-${KUBE_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_$("$GO" env GOVERSION)_$(inputs_hash)
BIN=$OUT/bin
mkdir -p "$BIN"

reuse_or_lock kube-apiserver kube-controller-manager kube-scheduler etcd kwok kwokctl
log "first run with these pins: building the local control plane from Go modules into $BIN" \
	"(about 7 min cold on 2 cores; every later run reuses it)"

# Helper charts read the cluster's version from /version (kubeVersion constraints): stamp it.
version_flags="-X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION \
-X k8s.io/component-base/version.gitMajor=${KUBE_VERSION%%.*} \
-X k8s.io/component-base/version.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2) \
-X k8s.io/component-base/version.gitTreeState=clean"
kwok_flags="-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION \
-X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$KUBE_VERSION"
build etcd go.etcd.io/etcd/server/v3 etcd
build kwok sigs.k8s.io/kwok/cmd/kwok kwok "$kwok_flags"
build kwok sigs.k8s.io/kwok/cmd/kwokctl kwokctl "$kwok_flags"
build kube-control-plane k8s.io/kubernetes/cmd/kube-scheduler kube-scheduler "$version_flags"
build kube-control-plane k8s.io/kubernetes/cmd/kube-controller-manager kube-controller-manager "$version_flags"
build kube-control-plane k8s.io/kubernetes/cmd/kube-apiserver kube-apiserver "$version_flags"

reported=$("$BIN/kube-apiserver" --version)
[ "$reported" = "Kubernetes v$KUBE_VERSION" ] || die "kube-apiserver reports '$reported'"
log "done: $BIN"
printf '%s\n' "$BIN"
