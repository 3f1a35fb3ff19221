# Sourced by scripts/*-bootstrap.sh (which set BOOTSTRAP to their name first): messages on
# stderr prefixed with the script's name, since stdout carries the one line callers read.
log() { printf '%s: %s\n' "$BOOTSTRAP" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}
# timed WHAT COMMAND...: run COMMAND, then log how long it took.
timed() {
	local what=$1 start
	shift
	start=$(date +%s)
	"$@"
	log "$what took $(($(date +%s) - start))s"
}

# about NAME: how long building NAME took on a fresh, quiet 2-core machine (empty Go caches, the
# bootstraps of a first `scripts/preview` one after the other, 2026-12-07; a machine shared with
# other work takes about twice that), for the progress lines; a new
# user sees what is building and roughly for how long instead of silence.
about() {
	local seconds
	case $1 in
	pulumi) seconds=233 ;;
	pulumi-resource-kubernetes) seconds=483 ;;
	pulumi-language-python) seconds=5 ;;
	random-genschema) seconds=75 ;;
	pulumi-resource-random) seconds=3 ;;
	etcd) seconds=26 ;;
	kwok) seconds=89 ;;
	kwokctl) seconds=13 ;;
	kube-scheduler) seconds=149 ;;
	kube-controller-manager) seconds=128 ;;
	kube-apiserver) seconds=8 ;;
	*) return 0 ;;
	esac
	if [ "$seconds" -ge 90 ]; then
		printf 'about %s min cold on 2 cores' $(((seconds + 30) / 60))
	else
		printf 'under %s min cold' $(((seconds + 59) / 60))
	fi
}

# wrapper_module_setup [REPO_ROOT]: ROOT, TOOLS, CACHE, NICE and GO for the bootstraps that
# build wrapper modules under tools/, and the Go environment they all build in.
wrapper_module_setup() {
	local here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	ROOT=$(cd "${1:-$here/..}" && pwd)
	TOOLS=$ROOT/tools
	CACHE=${IDP_ENGINE_CACHE:-$HOME/.cache/idp-engine}
	NICE=${IDP_ENGINE_NICE:-15}
	if [ -z "${GO:-}" ]; then
		if command -v go >/dev/null 2>&1; then GO=go; else GO=/usr/local/go/bin/go; fi
	fi
	command -v "$GO" >/dev/null 2>&1 || die "no go command found (set GO=...)"
	export GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off GOFLAGS=-mod=readonly
	export GOMODCACHE=${GOMODCACHE:-$CACHE/gomod} GOCACHE=${GOCACHE:-$CACHE/gocache}
	# As for the engine: the checksum database lacks some modules; the committed go.sum is
	# checked.
	export GOSUMDB=off
}

# For the bootstraps that build commands of wrapper modules under $TOOLS into $BIN (with $GO at
# nice $NICE): reuse_or_lock BINARY... prints $BIN and exits when every BINARY is there, else
# takes the cache key's lock (one build per key at a time; a second waits, then reuses).
reuse_or_lock() {
	local b missing=0
	for b in "$@"; do [ -x "$BIN/$b" ] || missing=1; done
	if [ "$missing" = 0 ]; then
		log "cache hit: $BIN"
		printf '%s\n' "$BIN"
		exit 0
	fi
	exec 9>"$BIN/../.lock"
	flock 9
}

# build MODULE PACKAGE NAME [LDFLAGS]: one command of a wrapper module into BIN, atomically (an
# interrupted build leaves nothing); skipped when a waiting run finds it built.
build() {
	local module=$1 package=$2 name=$3 ldflags=${4:-} start hint
	[ -x "$BIN/$name" ] && return 0
	hint=${BUILD_HINT:-$(about "$name")}
	log "building $name from $package${hint:+ ($hint)}"
	start=$(date +%s)
	(cd "$TOOLS/$module" && nice -n "$NICE" "$GO" build -trimpath -ldflags "-s -w $ldflags" \
		-o "$BIN/.$name.tmp" "$package")
	mv "$BIN/.$name.tmp" "$BIN/$name"
	log "$name took $(($(date +%s) - start))s"
}
