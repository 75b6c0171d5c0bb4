# mk/bench-host.mk - `make bench-host`: the page allocator measured on the
# host (bench/host/bench_host.c). The same portable sources as the host
# tests (HOST_PORTABLE, the harness's memory and SMP model), built as a
# release: -O2, no sanitizers, no CONFIG_DEBUG_VM.

BENCH_HOST_CFLAGS := -std=gnu11 -O2 -g -fno-pie -Wall -Wextra -Wno-unused-parameter \
                     -DHOST_BUILD -Itests/host/include -Iinclude -Itests/host -Itests/host/support
BENCH_HOST_SRC  := $(HOST_PORTABLE) $(filter-out tests/host/support/htest_main.c,$(HOST_SUPPORT)) \
                   bench/host/bench_host.c
BENCH_HOST_OBJS := $(patsubst %.c,build/bench-host/obj/%.o,$(BENCH_HOST_SRC))
BENCH_HOST_ARGS ?=

build/bench-host/obj/%.o: %.c $(HOST_HDRS) tests/host/support/host_smp.h | $(DEPS)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOST_CC) $(BENCH_HOST_CFLAGS) -c $< -o $@

build/bench-host/bench-host: $(BENCH_HOST_OBJS)
	@echo "  HOSTLD  $@"
	@$(HOST_CC) -no-pie $(BENCH_HOST_OBJS) -o $@ -lpthread

.PHONY: bench-host
bench-host: build/bench-host/bench-host
	@build/bench-host/bench-host $(BENCH_HOST_ARGS)
