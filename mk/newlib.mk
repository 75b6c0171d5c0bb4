# mk/newlib.mk -- newlib (libc + libm) for the kernel, built once with the
# host gcc by scripts/build-newlib.sh and cached under build/newlib.
#
# Provides:
#   NEWLIB_DIR      build/newlib (src/, build/, install/, build.log, .stamp)
#   NEWLIB_STAMP    file that exists once newlib is built and installed;
#                   kernel objects depend on it (its headers are theirs)
#   NEWLIB_INCLUDE  header directory, use as -isystem $(NEWLIB_INCLUDE)
#   NEWLIB_LIBS     full paths of libc.a and libm.a, for the kernel link
#   NEWLIB_CFLAGS   convenience: -nostdinc plus newlib's then gcc's headers
#   newlib          phony: build newlib now;  newlib-clean: remove it
#
# NEWLIB_TARBALL comes from mk/deps.mk (included first), the one place that
# names it. The stamp depends on the build script and the tarball only, so
# editing this file does not trigger a rebuild; `make newlib-clean` does.

_newlib_saved_goal := $(.DEFAULT_GOAL)

NEWLIB_DIR      := build/newlib
NEWLIB_STAMP    := $(NEWLIB_DIR)/.stamp
NEWLIB_PREFIX   := $(NEWLIB_DIR)/install/x86_64-elf
NEWLIB_INCLUDE  := $(NEWLIB_PREFIX)/include
NEWLIB_LIBDIR   := $(NEWLIB_PREFIX)/lib
NEWLIB_LIBS     := $(NEWLIB_LIBDIR)/libc.a $(NEWLIB_LIBDIR)/libm.a
# Expanded on first use (not while make reads this file: on a fresh machine
# gcc is installed by the deps check, which runs after parsing), then kept.
NEWLIB_CFLAGS    = $(eval NEWLIB_CFLAGS := -nostdinc -isystem $(NEWLIB_INCLUDE) \
		   -isystem $(shell gcc -print-file-name=include))$(NEWLIB_CFLAGS)

$(NEWLIB_STAMP): scripts/build-newlib.sh $(NEWLIB_TARBALL) | $(DEPS)
	@rm -f $@
	@NEWLIB_TARBALL=$(NEWLIB_TARBALL) sh scripts/build-newlib.sh $(NEWLIB_DIR)
	@touch $@

# The libraries and headers are produced by the stamp rule.
$(NEWLIB_LIBS): $(NEWLIB_STAMP) ;

.PHONY: newlib newlib-clean
newlib: $(NEWLIB_STAMP)

newlib-clean:
	rm -rf $(NEWLIB_DIR)

# Including this file must not change the includer's default goal.
.DEFAULT_GOAL := $(_newlib_saved_goal)
