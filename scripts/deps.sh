#!/bin/sh
# deps.sh - make sure this machine has what Ballast's build and tests use.
#
# Every make target that runs a tool or reads a packaged file depends
# (order-only) on `deps-check`, whose recipe is this script, so on a fresh
# Debian machine the first `make run` or `make test` installs what is missing
# before any step that needs it.  The check is a few `command -v` and file
# tests, cheap enough to run on every make invocation; it prints nothing
# when all is there.
#
#   deps.sh [--dry-run]
#
# Environment (mk/deps.mk passes these; they are named there once):
#   DEPS_PKGS   Debian packages to install when anything is missing
#   DEPS_CMDS   commands that must be on PATH
#   DEPS_FILES  files that must exist (the newlib source tarball)
#
# When something is missing: as root, `apt-get update` then
# `apt-get install` of DEPS_PKGS, then checks again; otherwise prints the
# exact command to run and fails.  --dry-run (for tests) only says what it
# would do.  Exit status 0 when everything is present afterwards.

set -u

: "${DEPS_PKGS:?deps.sh: DEPS_PKGS not set (run it through make)}"
: "${DEPS_CMDS:?deps.sh: DEPS_CMDS not set}"
DEPS_FILES=${DEPS_FILES-}
DRY=0
[ "${1-}" = --dry-run ] && DRY=1

# missing - print the space-separated list of what is not there.
missing() {
	m=""
	for c in $DEPS_CMDS; do
		command -v "$c" >/dev/null 2>&1 || m="$m $c"
	done
	for f in $DEPS_FILES; do
		[ -e "$f" ] || m="$m $f"
	done
	# libFuzzer's runtime comes with libclang-rt-N-dev, not with clang.
	if command -v clang >/dev/null 2>&1; then
		rt=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null)
		[ -e "$rt" ] || m="$m libclang_rt.fuzzer-x86_64.a"
	fi
	echo "$m"
}

need=$(missing)
[ -z "$need" ] && exit 0

cmd="apt-get update && apt-get install -y --no-install-recommends $DEPS_PKGS"
echo "deps: missing:$need"
if [ "$DRY" = 1 ]; then
	echo "deps: would run: $cmd"
	exit 0
fi
if [ "$(id -u 2>/dev/null)" != 0 ]; then
	echo "deps: not root, so nothing was installed; run as root:"
	echo "    $cmd"
	exit 1
fi

echo "deps: installing with apt-get (once; about two minutes): $DEPS_PKGS"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq; then
	echo "deps: 'apt-get update' failed; check the network and run: $cmd"
	exit 1
fi
if ! apt-get install -y -qq --no-install-recommends $DEPS_PKGS >/tmp/ballast-deps.log 2>&1; then
	tail -20 /tmp/ballast-deps.log
	echo "deps: apt-get install failed (log: /tmp/ballast-deps.log); run: $cmd"
	exit 1
fi
need=$(missing)
if [ -n "$need" ]; then
	echo "deps: still missing after installing:$need"
	exit 1
fi
echo "deps: all tools installed"
