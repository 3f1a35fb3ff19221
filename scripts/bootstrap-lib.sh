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
	local module=$1 package=$2 name=$3 ldflags=${4:-} start
	[ -x "$BIN/$name" ] && return 0
	log "building $name from $package${BUILD_HINT:+ ($BUILD_HINT)}"
	start=$(date +%s)
	(cd "$TOOLS/$module" && nice -n "$NICE" "$GO" build -trimpath -ldflags "-s -w $ldflags" \
		-o "$BIN/.$name.tmp" "$package")
	mv "$BIN/.$name.tmp" "$BIN/$name"
	log "$name took $(($(date +%s) - start))s"
}
