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
