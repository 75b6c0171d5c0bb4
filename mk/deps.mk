# mk/deps.mk - what the build and the tests need from the machine, named once.
#
# `deps-check` runs scripts/deps.sh, which installs missing Debian packages
# as root (or prints the exact apt-get command otherwise). Every rule that
# runs a tool or reads a packaged file lists `| $(DEPS)` (order-only), so
# make runs the check before any such step, also under `make -j`; nothing is
# rebuilt because of it. It is phony and cheap: it runs on every invocation,
# so a package removed later is noticed too.
#
# The newlib source tarball is the one packaged file; its path is named here
# and nowhere else (mk/newlib.mk and scripts/build-newlib.sh take it from
# NEWLIB_TARBALL). Its rule depends on the check, so the tarball is "made" by
# installing newlib-source.

DEPS_PKGS := qemu-system-x86 grub-pc-bin grub-common xorriso mtools \
             newlib-source python3 clang libclang-rt-14-dev gcc make binutils xz-utils \
             makedumpfile
DEPS_CMDS := qemu-system-x86_64 grub-mkrescue xorriso mformat python3 clang gcc ld ar xz \
             makedumpfile
NEWLIB_TARBALL ?= /usr/src/newlib/newlib-3.3.0.tar.xz
DEPS_FILES := $(NEWLIB_TARBALL)
DEPS := deps-check

.PHONY: deps deps-check
export DEPS_PKGS DEPS_CMDS DEPS_FILES
deps deps-check:
	@sh scripts/deps.sh

# Installed by the check above; fail clearly if it still is not there.
$(NEWLIB_TARBALL): | $(DEPS)
	@test -r $@ || { echo "deps: $@ is missing (package newlib-source)"; exit 1; }
