#!/bin/sh
# build-newlib.sh OUTDIR
#
# Build newlib's libc.a and libm.a for the Ballast kernel with the host gcc.
# There is no x86_64-elf cross compiler; the host gcc already emits x86_64
# ELF code, so newlib is configured for --target=x86_64-elf and told to use
# the host tools as the "target" tools.  libgloss is not built: the kernel
# supplies the few system-call hooks newlib needs (see docs/newlib.md).
#
#   OUTDIR/src       unpacked newlib source
#   OUTDIR/build     build tree
#   OUTDIR/install   installed tree: install/x86_64-elf/{include,lib}
#   OUTDIR/build.log everything configure and make printed
#
# Quiet on success (one line); on failure prints the tail of build.log and
# exits non-zero.  Environment: NEWLIB_TARBALL (required; mk/deps.mk names
# it), NEWLIB_JOBS.

set -eu

die() {
	echo "build-newlib: error: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: $0 OUTDIR"

TARBALL=${NEWLIB_TARBALL:?set NEWLIB_TARBALL (mk/deps.mk names it; run make newlib)}
JOBS=${NEWLIB_JOBS:-2}
TARGET=x86_64-elf
TARGET_CFLAGS="-ffreestanding -mno-red-zone -mcmodel=kernel -fno-pic -fno-pie -fno-stack-protector -fno-omit-frame-pointer -O2 -g"

for tool in gcc ar as ld nm ranlib objdump readelf strip make tar xz; do
	command -v "$tool" >/dev/null 2>&1 || die "required tool '$tool' not found in PATH"
done
[ -r "$TARBALL" ] || die "newlib tarball $TARBALL not found (apt-get install newlib-source)"

mkdir -p "$1"
OUT=$(cd "$1" && pwd)
SRC=$OUT/src
BUILD=$OUT/build
INSTALL=$OUT/install
LOG=$OUT/build.log

# Do not let a calling make (or the user's shell) leak compiler settings or
# jobserver state into newlib's configure and make.
unset CC CXX CPP CFLAGS CXXFLAGS CPPFLAGS LDFLAGS ASFLAGS LIBS AR AS LD NM \
	RANLIB OBJCOPY OBJDUMP STRIP MAKEFLAGS MFLAGS GNUMAKEFLAGS MAKELEVEL \
	MAKEOVERRIDES CONFIG_SITE 2>/dev/null || true

# gcc's own header directory (stddef.h, stdarg.h, float.h, limits.h, ...).
# It goes after newlib's headers (-idirafter) and /usr/include is never
# searched (-nostdinc), so no glibc header can sneak into the library.
GCC_INC=$(gcc -print-file-name=include)
[ -d "$GCC_INC" ] || die "gcc -print-file-name=include gave '$GCC_INC'"
# -Wa,--noexecstack: newlib's memcpy.S/memset.S/setjmp.S lack a
# .note.GNU-stack section and would make ld warn about an executable stack.
TARGET_CC="gcc -nostdinc -idirafter $GCC_INC -Wa,--noexecstack"

# fail STEP: report a failed step with the end of the log, then exit.
fail() {
	echo "build-newlib: error: $1 failed; last 40 lines of $LOG:" >&2
	tail -n 40 "$LOG" >&2
	echo "build-newlib: full log: $LOG" >&2
	exit 1
}

start=$(date +%s)
rm -rf "$SRC" "$BUILD" "$INSTALL"
mkdir -p "$SRC" "$BUILD"
: >"$LOG"

# The Debian tarball's top directory is not named after the version, so
# strip whatever it is.
echo "== extract $TARBALL" >>"$LOG"
tar -xJf "$TARBALL" -C "$SRC" --strip-components=1 >>"$LOG" 2>&1 || fail "extracting $TARBALL"
if [ ! -x "$SRC/configure" ] || [ ! -d "$SRC/newlib" ]; then
	fail "tarball layout check (no configure or newlib/)"
fi

# --enable-newlib-io-c99-formats: without it %zu, %hhd, %jd and %td are
# not understood and silently shift the remaining arguments.
echo "== configure" >>"$LOG"
(cd "$BUILD" && "$SRC/configure" \
	--target=$TARGET \
	--prefix="$INSTALL" \
	--disable-multilib \
	--disable-libgloss \
	--disable-newlib-supplied-syscalls \
	--enable-newlib-io-c99-formats \
	--enable-newlib-io-long-long \
	--disable-nls \
	CC_FOR_TARGET="$TARGET_CC" \
	AR_FOR_TARGET=ar \
	AS_FOR_TARGET=as \
	LD_FOR_TARGET=ld \
	NM_FOR_TARGET=nm \
	RANLIB_FOR_TARGET=ranlib \
	OBJDUMP_FOR_TARGET=objdump \
	READELF_FOR_TARGET=readelf \
	STRIP_FOR_TARGET=strip \
	CFLAGS_FOR_TARGET="$TARGET_CFLAGS") >>"$LOG" 2>&1 || fail "configure"

# all-target-newlib builds libc and libm only; nothing for the host.
echo "== make -j$JOBS all-target-newlib" >>"$LOG"
make -C "$BUILD" -j"$JOBS" all-target-newlib >>"$LOG" 2>&1 || fail "make all-target-newlib"
echo "== make install-target-newlib" >>"$LOG"
make -C "$BUILD" install-target-newlib >>"$LOG" 2>&1 || fail "make install-target-newlib"

for f in include/stdio.h include/newlib.h lib/libc.a lib/libm.a; do
	[ -f "$INSTALL/$TARGET/$f" ] || { echo "missing $INSTALL/$TARGET/$f" >>"$LOG"; fail "install check"; }
done

end=$(date +%s)
echo "build-newlib: newlib built in $((end - start))s -> $INSTALL/$TARGET (log: $LOG)"
