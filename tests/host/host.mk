# tests/host/host.mk - the host harness: portable sources built with the
# host compiler under ASan + UBSan, one binary per tests/host/test_*.c,
# each linked with every portable source (mm/*.c, the test workloads in
# workloads/*.c, the portable virtio files) and tests/host/support/*.c.
# libFuzzer targets: tests/host/fuzz_*.c.

HOST_CC      ?= gcc
HOST_CFLAGS  := -std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter \
                -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer -DCONFIG_DEBUG_VM -DCONFIG_LOCKDEP -DHOST_BUILD \
                -Itests/host/include -Iinclude -Itests/host
# Portable sources: every mm/ and lib/ file, the workloads that shape memory for
# tests (workloads/), plus the driver files that are written to compile
# on the host (listed in HOST_PORTABLE_DRIVERS).
HOST_PORTABLE_DRIVERS ?= $(wildcard drivers/virtio/virtqueue.c drivers/virtio/virtio_balloon_core.c \
                                   drivers/virtio/virtio_mem_core.c)
HOST_PORTABLE := $(wildcard mm/*.c lib/*.c workloads/*.c) $(HOST_PORTABLE_DRIVERS)
HOST_SUPPORT  := $(wildcard tests/host/support/*.c)
HOST_TESTS    := $(patsubst tests/host/%.c,build/host/%,$(wildcard tests/host/test_*.c))
HOST_FUZZERS  := $(patsubst tests/host/%.c,build/host/%,$(wildcard tests/host/fuzz_*.c))
HOST_OBJS     := $(patsubst %.c,build/host/obj/%.o,$(HOST_PORTABLE) $(HOST_SUPPORT))
HOST_HDRS     := $(wildcard include/*/*.h include/*.h mm/*.h tests/host/include/arch/*.h tests/host/*.h)

build/host/obj/%.o: %.c $(HOST_HDRS) | $(DEPS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

build/host/test_%: tests/host/test_%.c $(HOST_OBJS) $(HOST_HDRS) | $(DEPS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $< $(HOST_OBJS) -o $@ -lpthread

# libFuzzer targets: clang, the same portable sources, no htest_main.
FUZZ_CC     ?= clang
FUZZ_CFLAGS := -std=gnu11 -O1 -g -fsanitize=fuzzer,address,undefined \
               -DCONFIG_DEBUG_VM -DCONFIG_LOCKDEP -DHOST_BUILD -Itests/host/include -Iinclude -Itests/host
FUZZ_SUPPORT := $(filter-out tests/host/support/htest_main.c,$(HOST_SUPPORT))

# tests/host/fuzz_NAME.covignore, if present, lists sources without coverage feedback.
build/host/fuzz_%: tests/host/fuzz_%.c $(HOST_PORTABLE) $(FUZZ_SUPPORT) $(HOST_HDRS) \
		   $(wildcard tests/host/fuzz_*.covignore) | $(DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(if $(wildcard tests/host/fuzz_$*.covignore),-fsanitize-coverage-ignorelist=tests/host/fuzz_$*.covignore) \
		$< $(HOST_PORTABLE) $(FUZZ_SUPPORT) -o $@

.PHONY: host-build host-test host-test-long fuzz
host-build: $(HOST_TESTS)
host-test: $(HOST_TESTS)
	@set -e; for t in $(HOST_TESTS); do $$t; done
# Longer randomized runs (x20 iterations), not part of make test.
host-test-long: $(HOST_TESTS)
	@set -e; for t in $(HOST_TESTS); do $$t --long; done
fuzz: $(HOST_FUZZERS)

# Keep the object files: no "rm" chatter after the test summary line.
.SECONDARY: $(HOST_OBJS)

# test_acpi_aml compiles the arch AML walker in (#include): rebuild when it changes.
build/host/test_acpi_aml: arch/x86_64/acpi_aml.c
build/host/test_fw_cfg: drivers/firmware/fw_cfg.c
# test_tsc compiles the TSC calibration in the same way.
build/host/test_tsc: arch/x86_64/tsc.c

# ThreadSanitizer: the threaded suites (tests/host/test_smp_*.c) again, built
# with -fsanitize=thread (+ UBSan; TSan cannot be combined with ASan) into
# build/host-tsan/. Same portable sources, own object files.
HOST_TSAN_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter \
                    -fsanitize=thread,undefined -fno-sanitize-recover=undefined \
                    -fno-omit-frame-pointer -DCONFIG_DEBUG_VM -DHOST_BUILD \
                    -Itests/host/include -Iinclude -Itests/host
HOST_TSAN_TESTS := $(patsubst tests/host/%.c,build/host-tsan/%,$(wildcard tests/host/test_smp_*.c))
HOST_TSAN_OBJS  := $(patsubst %.c,build/host-tsan/obj/%.o,$(HOST_PORTABLE) $(HOST_SUPPORT))

build/host-tsan/obj/%.o: %.c $(HOST_HDRS) | $(DEPS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_TSAN_CFLAGS) -c $< -o $@

build/host-tsan/test_%: tests/host/test_%.c $(HOST_TSAN_OBJS) $(HOST_HDRS) | $(DEPS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_TSAN_CFLAGS) $< $(HOST_TSAN_OBJS) -o $@ -lpthread

.PHONY: host-tsan soak
host-tsan: $(HOST_TSAN_TESTS)
# The long soak (not part of make test): the threaded suites with --long
# (20x the rounds), under ASan/UBSan and under TSan.
soak: $(filter build/host/test_smp_%,$(HOST_TESTS)) $(HOST_TSAN_TESTS)
	@set -e; for t in $^; do echo "== $$t --long"; TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" $$t --long; done
.SECONDARY: $(HOST_TSAN_OBJS)

# fuzz_dump compiles the dump tool's reader in (#include): rebuild when it changes.
build/host/fuzz_dump: tools/vmcore.c tools/vmcore.h
