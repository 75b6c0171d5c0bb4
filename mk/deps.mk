# mk/deps.mk - make sure the machine has what the build and tests use.
# As root, missing Debian packages are installed with apt-get (after an
# apt-get update); otherwise the exact command to run is printed.

DEPS_PKGS := qemu-system-x86 grub-pc-bin grub-common xorriso mtools \
             newlib-source python3 clang libclang-rt-14-dev gcc make binutils
DEPS_CMDS := qemu-system-x86_64 grub-mkrescue xorriso mformat python3 clang gcc ld
DEPS_FILES := /usr/src/newlib/newlib-3.3.0.tar.xz
DEPS_STAMP := build/.deps-ok

.PHONY: deps
deps:
	@rm -f $(DEPS_STAMP)
	@$(MAKE) --no-print-directory $(DEPS_STAMP)

$(DEPS_STAMP): mk/deps.mk
	@missing=""; \
	for c in $(DEPS_CMDS); do command -v $$c >/dev/null 2>&1 || missing="$$missing $$c"; done; \
	for f in $(DEPS_FILES); do [ -e $$f ] || missing="$$missing $$f"; done; \
	fuzz=$$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null); \
	[ -e "$$fuzz" ] || missing="$$missing libclang_rt.fuzzer"; \
	if [ -n "$$missing" ]; then \
	  echo "deps: missing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "deps: installing with apt-get: $(DEPS_PKGS)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends $(DEPS_PKGS) >/dev/null || \
	      { echo "deps: apt-get failed; run: apt-get update && apt-get install -y $(DEPS_PKGS)"; exit 1; }; \
	  else \
	    echo "deps: run as root: apt-get update && apt-get install -y $(DEPS_PKGS)"; exit 1; \
	  fi; \
	fi
	@mkdir -p build && touch $@
