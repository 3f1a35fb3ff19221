#!/usr/bin/env bash
# Build (or reuse) the Pulumi CLI, a Python language host and the Kubernetes
# and random resource providers from Go modules, without downloading any
# prebuilt binary.
#
# Usage: scripts/engine-bootstrap.sh [REPO_ROOT]
#
# bin/ holds pulumi, the Python language host and its exec script (found next to pulumi);
# providers/ holds pulumi-resource-kubernetes and pulumi-resource-random, listed with their
# versions in providers/plugins.txt for `pulumi plugin install resource NAME VERSION --file`.
#   REPO_ROOT defaults to the parent of this script's directory; the wrapper
#   modules are read from REPO_ROOT/tools/.
#
# Progress goes to stderr. The last line on stdout is the bin directory:
#   export PATH="$(scripts/engine-bootstrap.sh | tail -n1):$PATH"
#
# Environment:
#   IDP_ENGINE_CACHE        cache root (default: $HOME/.cache/idp-engine)
#   IDP_ENGINE_SKIP         space-separated components not to build
#                           (kubernetes, random); a refused module of a
#                           skipped component is reported but not fatal
#   IDP_ENGINE_IGNORE_PATH  set to 1 to ignore a pulumi already on PATH
#   IDP_ENGINE_NICE         nice level for go builds (default: 15)
#   GO                      go command (default: go on PATH, else /usr/local/go/bin/go)
#   GOMODCACHE, GOCACHE     default to directories inside the cache root
set -euo pipefail

PULUMI_VERSION=3.259.0
# The proxy serves the provider module only at the v4.25.0 release commit, so the Python SDK
# is pinned to pulumi-kubernetes 4.25.0 to match (requirements.txt).
K8S_VERSION=4.25.0
RANDOM_VERSION=4.21.1

# Module versions the wrappers depend on. The provider modules have no tags
# of their own, so they are pinned by pseudo-version (commit of the release).
PULUMI_PKG_MOD=github.com/pulumi/pulumi/pkg/v3@v${PULUMI_VERSION}
PULUMI_SDK_MOD=github.com/pulumi/pulumi/sdk/v3@v${PULUMI_VERSION}
K8S_PROVIDER_MOD=github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260115033456-f47bc2d6f199
K8S_SDK_MOD=github.com/pulumi/pulumi-kubernetes/sdk/v4@v${K8S_VERSION}
BRIDGE_MOD=github.com/pulumi/pulumi-terraform-bridge/v3@v3.135.0
TF_RANDOM_MOD=github.com/terraform-providers/terraform-provider-random@v1.3.2-0.20260513075824-f8d869dc98d9
TF_SDK_FORK_MOD=github.com/pulumi/terraform-plugin-sdk/v2@v2.0.0-20260318212141-5525259d096b

BOOTSTRAP=engine-bootstrap
. "$(dirname "${BASH_SOURCE[0]}")/bootstrap-lib.sh"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "${1:-$SCRIPT_DIR/..}" && pwd)
TOOLS=$ROOT/tools
[ -d "$TOOLS/pulumi-engine" ] || die "no $TOOLS/pulumi-engine; pass the repo root as the first argument"

CACHE=${IDP_ENGINE_CACHE:-$HOME/.cache/idp-engine}
NICE=${IDP_ENGINE_NICE:-15}
SKIP=" ${IDP_ENGINE_SKIP:-} "
skipped() { [[ "$SKIP" == *" $1 "* ]]; }

COMPONENTS=(engine)
skipped kubernetes || COMPONENTS+=(kubernetes)
skipped random || COMPONENTS+=(random)

# --- 1. A suitable pulumi already on PATH? -----------------------------------
path_install_ok() {
	local p dir v
	p=$(command -v pulumi 2>/dev/null) || return 1
	p=$(readlink -f "$p")
	dir=$(dirname "$p")
	v=$(PULUMI_SKIP_UPDATE_CHECK=true "$p" version 2>/dev/null) || return 1
	[ "$v" = "v$PULUMI_VERSION" ] || { log "pulumi on PATH is $v, want v$PULUMI_VERSION"; return 1; }
	[ -x "$dir/pulumi-language-python" ] && [ -f "$dir/pulumi-language-python-exec" ] || return 1
	if ! skipped kubernetes; then
		command -v pulumi-resource-kubernetes >/dev/null 2>&1 || [ -x "$dir/pulumi-resource-kubernetes" ] || return 1
	fi
	if ! skipped random; then
		local r
		r=$(command -v pulumi-resource-random 2>/dev/null || echo "$dir/pulumi-resource-random")
		[ -x "$r" ] || return 1
		[ "$("$r" --version 2>/dev/null)" = "$RANDOM_VERSION" ] || return 1
	fi
	printf '%s\n' "$dir"
}
if [ "${IDP_ENGINE_IGNORE_PATH:-0}" != 1 ]; then
	if dir=$(path_install_ok); then
		log "using pulumi v$PULUMI_VERSION already on PATH in $dir"
		printf '%s\n' "$dir"
		exit 0
	fi
fi

# --- 2. Go toolchain and cache key -------------------------------------------
if [ -z "${GO:-}" ]; then
	if command -v go >/dev/null 2>&1; then GO=go; else GO=/usr/local/go/bin/go; fi
fi
command -v "$GO" >/dev/null 2>&1 || die "no go command found (set GO=...)"
export GOTOOLCHAIN=local CGO_ENABLED=0
export GOMODCACHE=${GOMODCACHE:-$CACHE/gomod}
export GOCACHE=${GOCACHE:-$CACHE/gocache}
export GOWORK=off
# The checksum database here has no entries for several of these modules (lookups answer
# 404). Integrity comes from the committed go.sum files instead, which go checks on every
# download and build.
export GOSUMDB=off
GO_VERSION=$("$GO" env GOVERSION)

# The key covers versions, the Go toolchain, and every input file of the
# wrapper modules (go.mod, go.sum, our own Go sources).
inputs_hash() {
	(cd "$TOOLS" && find pulumi-engine pulumi-resource-kubernetes pulumi-resource-random \
		-type f \( -name go.mod -o -name go.sum -o -name '*.go' \) -print0 2>/dev/null |
		LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12
}
KEY="pulumi-${PULUMI_VERSION}_k8s-${K8S_VERSION}_random-${RANDOM_VERSION}_${GO_VERSION}_$(inputs_hash)"
OUT=$CACHE/$KEY
BIN=$OUT/bin
PROVIDERS=$OUT/providers
mkdir -p "$BIN" "$PROVIDERS"

all_done() {
	local c
	for c in "${COMPONENTS[@]}"; do [ -f "$OUT/.done-$c" ] || return 1; done
}
if all_done; then
	log "cache hit: $BIN"
	printf '%s\n' "$BIN"
	exit 0
fi

# One bootstrap at a time per cache key.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$OUT/.lock"
	flock 9
	if all_done; then
		log "cache hit after waiting for another bootstrap: $BIN"
		printf '%s\n' "$BIN"
		exit 0
	fi
fi

log "first run with these pins: building the engine from Go modules into $OUT (about 14 min" \
	"cold on 2 cores, downloads included; every later run reuses it)"

# --- 3. Check that the module proxy serves every pinned module ---------------
# Run outside any module so that only the named module@version is fetched.
PROBE_DIR=$(mktemp -d)
trap 'rm -rf "$PROBE_DIR"' EXIT
# go mod download -json prints an "Error" field instead of failing outright.
module_dir() {
	local mod=$1 json err
	json=$(cd "$PROBE_DIR" && "$GO" mod download -json "$mod" 2>&1) || true
	err=$(printf '%s' "$json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p')
	if [ -n "$err" ]; then
		printf '%b\n' "$err" >&2
		return 1
	fi
	printf '%s' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}
check_modules() {
	local comp=$1 mod failed=0
	shift
	for mod in "$@"; do
		log "checking $mod"
		if ! module_dir "$mod" >/dev/null; then
			log "the Go module proxy refused $mod (needed for $comp); message above"
			failed=1
		fi
	done
	return $failed
}
refused=()
check_modules engine "$PULUMI_PKG_MOD" "$PULUMI_SDK_MOD" || refused+=(engine)
if ! skipped kubernetes; then
	check_modules kubernetes "$K8S_PROVIDER_MOD" "$K8S_SDK_MOD" || refused+=(kubernetes)
fi
if ! skipped random; then
	check_modules random "$BRIDGE_MOD" "$TF_RANDOM_MOD" "$TF_SDK_FORK_MOD" || refused+=(random)
fi
if [ ${#refused[@]} -gt 0 ]; then
	die "modules refused for: ${refused[*]} (set IDP_ENGINE_SKIP=\"${refused[*]}\" to build the rest)"
fi

# --- 4. Build -----------------------------------------------------------------
gobuild() { nice -n "$NICE" "$GO" build -trimpath "$@"; }

# Build from a copy of the wrapper module inside the cache, so that generated
# embed files never land in the repository.
stage() {
	local name=$1
	rm -rf "$OUT/src/$name"
	mkdir -p "$OUT/src"
	cp -R "$TOOLS/$name" "$OUT/src/$name"
	printf '%s' "$OUT/src/$name"
}


build_engine() {
	local src ld sdkdir
	src=$(stage pulumi-engine)
	ld="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
	log "building pulumi $PULUMI_VERSION ($(about pulumi))"
	(cd "$src" && timed "pulumi build" gobuild -tags osusergo,grpcnotrace -ldflags "$ld" \
		-o "$BIN/.pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
	mv "$BIN/.pulumi.tmp" "$BIN/pulumi"
	log "building pulumi-language-python ($(about pulumi-language-python))"
	(cd "$src" && timed "pulumi-language-python build" gobuild \
		-ldflags "-s -w -X main.hostVersion=$PULUMI_VERSION" \
		-o "$BIN/.pulumi-language-python.tmp" ./cmd/pulumi-language-python)
	mv "$BIN/.pulumi-language-python.tmp" "$BIN/pulumi-language-python"
	sdkdir=$(module_dir "$PULUMI_SDK_MOD")
	install -m 0755 "$sdkdir/python/cmd/pulumi-language-python-exec" "$BIN/pulumi-language-python-exec"
	install -m 0755 "$sdkdir/python/dist/pulumi-resource-pulumi-python" "$BIN/pulumi-resource-pulumi-python"
	[ "$("$BIN/pulumi" version)" = "v$PULUMI_VERSION" ] || die "built pulumi reports $("$BIN/pulumi" version)"
	touch "$OUT/.done-engine"
}

build_kubernetes() {
	local src dir
	src=$(stage pulumi-resource-kubernetes)
	dir=$(module_dir "$K8S_PROVIDER_MOD")/cmd/pulumi-resource-kubernetes
	log "generating Kubernetes schema embeds from $dir"
	python3 - "$dir" "$K8S_VERSION" "$src" <<'PY'
import json, pathlib, sys
src, version, dst = pathlib.Path(sys.argv[1]), sys.argv[2], pathlib.Path(sys.argv[3])
schema = json.loads((src / "schema.json").read_text())
schema["version"] = version
(dst / "schema-embed.json").write_text(json.dumps(schema))
mapping = json.loads((src / "terraform-mapping.json").read_text())
(dst / "terraform-mapping-embed.json").write_text(json.dumps(mapping))
PY
	log "building pulumi-resource-kubernetes $K8S_VERSION ($(about pulumi-resource-kubernetes))"
	(cd "$src" && timed "pulumi-resource-kubernetes build" gobuild \
		-ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_VERSION" \
		-o "$PROVIDERS/.pulumi-resource-kubernetes.tmp" .)
	mv "$PROVIDERS/.pulumi-resource-kubernetes.tmp" "$PROVIDERS/pulumi-resource-kubernetes"
	touch "$OUT/.done-kubernetes"
}

build_random() {
	local src
	src=$(stage pulumi-resource-random)
	log "generating random provider schema ($(about random-genschema))"
	(cd "$src" && timed "random schema generator build" gobuild -tags genschema \
		-ldflags "-X main.providerVersion=$RANDOM_VERSION" -o "$OUT/random-genschema" .)
	"$OUT/random-genschema" >"$src/schema-embed.json"
	log "building pulumi-resource-random $RANDOM_VERSION ($(about pulumi-resource-random))"
	(cd "$src" && timed "pulumi-resource-random build" gobuild \
		-ldflags "-s -w -X main.providerVersion=$RANDOM_VERSION" \
		-o "$PROVIDERS/.pulumi-resource-random.tmp" .)
	mv "$PROVIDERS/.pulumi-resource-random.tmp" "$PROVIDERS/pulumi-resource-random"
	rm -f "$OUT/random-genschema"
	[ "$("$PROVIDERS/pulumi-resource-random" --version)" = "$RANDOM_VERSION" ] || die "built random provider reports the wrong version"
	touch "$OUT/.done-random"
}

for c in "${COMPONENTS[@]}"; do
	if [ -f "$OUT/.done-$c" ]; then
		log "$c already built"
		continue
	fi
	"build_$c"
done

{
	skipped kubernetes || echo "kubernetes $K8S_VERSION pulumi-resource-kubernetes"
	skipped random || echo "random $RANDOM_VERSION pulumi-resource-random"
} >"$PROVIDERS/plugins.txt"

log "done: $BIN (providers in $PROVIDERS)"
printf '%s\n' "$BIN"
