# Ballast - top-level Makefile.
#
#   make APP=dir    an appliance: the application in dir (C files, or a .o/.a)
#                   linked into build/app-NAME/ballast.elf (docs/appliance.md);
#                   make run APP=dir ARGS="..." boots it, main(argc, argv) runs
#   make            build build/ballast.elf and build/ballast.iso (the image a
#                   user runs), and build/ballast-bench.elf (the same kernel
#                   with the benchmarks of bench/ linked in)
#   make run        boot it (KVM when usable, else TCG) with a serial shell
#   make test       host suites, in-kernel suites on every boot path, shell
#                   and QEMU system tests; ends with "N passed, M failed"
#   make lib        the memory manager as a library for other kernels:
#                   build/lib/libballast-mm.a + build/lib/include (mk/lib.mk,
#                   docs/porting.md); make lib-bench: what out-of-line
#                   platform hooks cost (examples/hosted/bench.c)
#   make soak       the threaded host suites (ASan and TSan builds) with --long
#   make bench      benchmarks (release build/release/ballast-bench.elf),
#                   JSON lines + a table; virtio-mem plug/unplug rates
#                   (scripts/bench_vmem.py); then make bench-dump (the dump
#                   filter on a synthetic 4 GiB dump, scripts/dump_bench.py)
#                   and make bench-boot
#   make bench-boot boot time (scripts/bootbench.py): wall time from QEMU's
#                   start to `ballast: ready` (microvm PVH TCG -m 512M, 20
#                   boots; BOOT_BASELINE=old.elf interleaves a second kernel
#                   for before/after), the TSC calibration's error against
#                   the host; what starting the other CPUs costs: -smp 1 and
#                   -smp 4 boots in interleaved pairs, the guest's timeline
#   make run DUMP=path   the same, and when the guest panics: dump its memory
#                   (QMP GUEST_PANICKED -> dump-guest-memory) and filter it
#                   into path (README "After a crash")
#   make dump QMP=sock DUMP=path   dump (and filter) a live guest started with
#                   make run QMP=sock
#   make bench-host the page allocator's cost measured on the host (release
#                   build of mm/, threads standing in for CPUs), a table
#   make iso        the GRUB (multiboot2) ISO
#   make gdb        QEMU waiting for GDB, and GDB with symbols attached
#   make deps       install what is missing (Debian packages, as root); every
#                   target that needs a tool runs this check first
#   make clean
#
# Knobs (plain make variables):
#   MEM=1G  MACHINE=q35|pc|microvm|microvm-pci  BOOT=pvh|iso  ACCEL=auto|kvm|tcg
#   SMP=2 (CPUs; the kernel starts every CPU the MADT lists, at most 8)
#   APPEND="kernel command line"   DEBUG=1 (CONFIG_DEBUG_VM checks and the lock checker; 0 for release)
#   BALLOON_FEATURES=on|off (make run's balloon offers deflate-on-OOM and free
#   page reporting; off: the plain device)
#   BALLOON_OPTS="disable-modern=on" (extra virtio-balloon properties; one named
#   here replaces the default, e.g. BALLOON_OPTS="free-page-reporting=off")
#   DUMP=path (make run: dump on panic; make dump: where the dump goes)
#   QMP=path (a QMP socket for make run, with -device vmcoreinfo; make dump uses it)
#   VMEM=4G (make run: a virtio-mem-pci device "vm0" of that size, requested 0;
#   maxmem is MEM+VMEM) VMEM_BLOCK=2M (its block size); docs/virtio-mem.md

MEM     ?= 1G
SMP     ?= 2
MACHINE ?= q35
BOOT    ?= pvh
ACCEL   ?= auto
APPEND  ?=
BALLOON_FEATURES ?= on
BALLOON_OPTS ?=
VMEM    ?=
VMEM_BLOCK ?= 2M
DEBUG   ?= 1
BUILD   ?= build

.DEFAULT_GOAL := all
include mk/deps.mk
include mk/newlib.mk
include tests/host/host.mk
include mk/lib.mk
include mk/bench-host.mk

CC      := gcc
LD      := ld
KCFLAGS  = -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -mcmodel=kernel \
           -mno-red-zone -fno-stack-protector -fno-omit-frame-pointer \
           -mno-omit-leaf-frame-pointer -fno-strict-aliasing -fno-common \
           -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
           -Iinclude -Iarch/x86_64/include $(NEWLIB_CFLAGS) -MMD -MP \
           -D_POSIX_TIMERS=1 -D_POSIX_MONOTONIC_CLOCK=200112L
ifeq ($(DEBUG),1)
KCFLAGS += -DCONFIG_DEBUG_VM -DCONFIG_LOCKDEP
endif
KASFLAGS := -Iinclude -Iarch/x86_64/include -MMD -MP

KEXCLUDE ?=
KSRC_C := $(filter-out $(KEXCLUDE),$(wildcard arch/x86_64/*.c kernel/*.c mm/*.c lib/*.c workloads/*.c \
                                    drivers/pci/*.c drivers/virtio/*.c drivers/firmware/*.c \
                                    drivers/misc/*.c tests/kernel/*.c))
KSRC_S := $(wildcard boot/*.S arch/x86_64/*.S)
KOBJS  := $(patsubst %.c,$(BUILD)/k/%.o,$(KSRC_C)) $(patsubst %.S,$(BUILD)/k/%.o,$(KSRC_S))
# Expanded on first use, after the deps check has installed gcc (see mk/deps.mk).
LIBGCC  = $(eval LIBGCC := $(shell $(CC) -print-libgcc-file-name))$(LIBGCC)
KLIBS   = $(NEWLIB_LIBS) $(LIBGCC)
KLDFLAGS := -nostdlib -static -T linker.ld -z max-page-size=4096 --no-warn-rwx-segments --build-id=sha1

# OSRELEASE in VMCOREINFO (kernel/vmcoreinfo.c): the git description of
# the tree when that file was compiled; BUILD-ID is what names a build exactly.
BALLAST_VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo unknown)
$(BUILD)/k/kernel/vmcoreinfo.o: KCFLAGS += -DBALLAST_VERSION='"$(BALLAST_VERSION)"'
# The stamp changes only when the description does, so only then is the file recompiled.
$(BUILD)/k/version.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(BALLAST_VERSION)' | cmp -s - $@ || echo '$(BALLAST_VERSION)' > $@
$(BUILD)/k/kernel/vmcoreinfo.o: $(BUILD)/k/version.stamp
.PHONY: FORCE
FORCE:

# Benchmarks (bench/*.c) are linked only into the benchmark image; the
# runner (kernel/bench.c, bench=) is in both and says so when it has none.
BENCH_SRC  := $(wildcard bench/*.c)
BENCH_OBJS := $(patsubst %.c,$(BUILD)/k/%.o,$(BENCH_SRC))

ELF := $(BUILD)/ballast.elf
BENCH_ELF := $(BUILD)/ballast-bench.elf
ISO := $(BUILD)/ballast.iso

# An appliance: APP=dir (its *.c compiled with the kernel's flags, so
# <ballast/*.h> and newlib are there) or APP=file.o / file.a (prebuilt),
# linked with the kernel objects into its own directory, build/app-NAME/
# (ballast.elf, and ballast.iso for BOOT=iso): the default image and the
# test image are never touched. ARGS="..." are main()'s arguments (after
# "--" on the command line; in the ISO's grub.cfg for BOOT=iso).
APP  ?=
ARGS ?=
ifneq ($(APP),)
APP_NAME := $(basename $(notdir $(patsubst %/,%,$(APP))))
APP_DIR  := $(BUILD)/app-$(APP_NAME)
APP_ELF  := $(APP_DIR)/ballast.elf
APP_ISO  := $(APP_DIR)/ballast.iso
APP_PREBUILT := $(filter %.o %.a,$(APP))
APP_SRC  := $(if $(APP_PREBUILT),,$(wildcard $(patsubst %/,%,$(APP))/*.c))
APP_OBJS := $(patsubst %.c,$(APP_DIR)/obj/%.o,$(APP_SRC)) $(APP_DIR)/obj/app_glue.o
ifeq ($(APP_SRC)$(APP_PREBUILT),)
$(error APP=$(APP): no C files in that directory, and not a .o or .a file)
endif

$(APP_DIR)/obj/app_glue.o: mk/app_glue.c include/kernel/app.h | $(DEPS)
	@mkdir -p $(dir $@)
	@$(CC) $(KCFLAGS) -DAPP_NAME='"$(APP_NAME)"' -c $< -o $@

$(APP_DIR)/obj/%.o: %.c $(NEWLIB_STAMP) | $(DEPS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -c $< -o $@

$(APP_ELF): $(KOBJS) $(APP_OBJS) $(APP_PREBUILT) linker.ld scripts/gensyms.py $(NEWLIB_STAMP) | $(DEPS)
	$(link_image)

# The ISO's grub.cfg carries APPEND and ARGS: the stamp changes when they
# do, so a new ARGS= rebuilds the ISO (not only a new ELF).
$(APP_DIR)/iso-cmdline.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(APPEND) -- $(ARGS)' | cmp -s - $@ || echo '$(APPEND) -- $(ARGS)' > $@

$(APP_ISO): $(APP_ELF) $(APP_DIR)/iso-cmdline.stamp boot/grub.cfg | $(DEPS)
	@echo "  ISO     $@"
	@rm -rf $(APP_DIR)/iso && mkdir -p $(APP_DIR)/iso/boot/grub
	@cp $(APP_ELF) $(APP_DIR)/iso/boot/ballast.elf
	@sed 's|multiboot2 /boot/ballast.elf|multiboot2 /boot/ballast.elf $(APPEND) -- $(ARGS)|' \
	  boot/grub.cfg > $(APP_DIR)/iso/boot/grub/grub.cfg
	@grub-mkrescue -o $@ $(APP_DIR)/iso >$(APP_DIR)/iso.log 2>&1 || { cat $(APP_DIR)/iso.log; exit 1; }
-include $(APP_OBJS:.o=.d)
endif

.PHONY: all run test bench bench-boot iso gdb clean tools apps dump
ifneq ($(APP),)
all: $(APP_ELF)
else
all: $(ELF) $(ISO) $(BENCH_ELF) tools
endif

# The example appliances the tests boot (each in its own build/app-NAME/);
# tests/qemu/test_app.py boots hello's ISO too, built with ARGS="iso 5".
apps:
	@$(MAKE) --no-print-directory APP=examples/hello build/app-hello/ballast.elf
	@$(MAKE) --no-print-directory APP=examples/hello BOOT=iso ARGS="iso 5" build/app-hello/ballast.iso
	@$(MAKE) --no-print-directory APP=examples/kvcache build/app-kvcache/ballast.elf

# Host tools: page-types reads a kpageflags dump captured from the console;
# ballast-dump reads a QEMU memory dump with the kernel's own portable mm
# code (mm/kpageflags.c, mm/page_types.c) built against the host harness
# headers (tests/host/include), see docs/dumps.md.
tools: build/tools/page-types build/tools/ballast-dump
DUMP_TOOL_SRC := tools/ballast-dump.c tools/vmcore.c mm/kpageflags.c mm/page_types.c lib/parse.c
build/tools/ballast-dump: $(DUMP_TOOL_SRC) tools/vmcore.h $(HOST_HDRS) | $(DEPS)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOST_CC) -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
		-DHOST_BUILD -Itests/host/include -Iinclude -o $@ $(DUMP_TOOL_SRC)
build/tools/page-types: tools/page-types.c mm/page_types.c lib/parse.c include/mm/kpageflags.h \
			include/lib/parse.h include/lib/units.h | $(DEPS)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOST_CC) -std=gnu11 -O2 -Wall -Iinclude -Iarch/x86_64/include -o $@ tools/page-types.c \
		mm/page_types.c lib/parse.c

$(BUILD)/k/%.o: %.c $(NEWLIB_STAMP) | $(DEPS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/k/%.o: %.S | $(DEPS)
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(KASFLAGS) -c $< -o $@

# Two links: the first gives the addresses for the symbol table that
# backtraces use, the second embeds it (text addresses do not move).
# Each image has its own symbol-table files, so both can link at once.
define link_image
	@echo "  LD      $@"
	@printf '\t.section .ksymtab, "a"\n\t.section .note.GNU-stack, "", @progbits\n' > $@.symtab0.S
	@$(CC) -c $@.symtab0.S -o $@.symtab0.o
	@$(LD) $(KLDFLAGS) $(filter %.o %.a,$^) $@.symtab0.o $(KLIBS) -o $@.pass1
	@nm -n $@.pass1 | python3 scripts/gensyms.py > $@.symtab.S
	@$(CC) -c $@.symtab.S -o $@.symtab.o
	@$(LD) $(KLDFLAGS) $(filter %.o %.a,$^) $@.symtab.o $(KLIBS) -o $@
	@rm -f $@.pass1
endef

$(ELF): $(KOBJS) linker.ld scripts/gensyms.py $(NEWLIB_STAMP) | $(DEPS)
	$(link_image)

$(BENCH_ELF): $(KOBJS) $(BENCH_OBJS) linker.ld scripts/gensyms.py $(NEWLIB_STAMP) | $(DEPS)
	$(link_image)

# The GRUB ISO (multiboot2): boots the shell. The test ISO runs ktest=all.
$(BUILD)/%.iso: $(ELF) boot/grub.cfg boot/grub-test.cfg | $(DEPS)
	@echo "  ISO     $@"
	@rm -rf $(BUILD)/iso-$*
	@mkdir -p $(BUILD)/iso-$*/boot/grub
	@cp $(ELF) $(BUILD)/iso-$*/boot/ballast.elf
	@if [ "$*" = ballast-test ]; then cp boot/grub-test.cfg $(BUILD)/iso-$*/boot/grub/grub.cfg; \
	 else cp boot/grub.cfg $(BUILD)/iso-$*/boot/grub/grub.cfg; fi
	@grub-mkrescue -o $@ $(BUILD)/iso-$* >$(BUILD)/iso-$*.log 2>&1 || \
	 { cat $(BUILD)/iso-$*.log; exit 1; }

iso: $(ISO)

# A tiny guest that tells scripts/qemu.py whether KVM can run SSE code here;
# the -fault variant stands for a host where it cannot (tests only).
KVM_PROBES := build/kvm-probe.elf build/kvm-probe-fault.elf
$(KVM_PROBES): build/%.elf: scripts/kvm-probe.S | $(DEPS)
	@mkdir -p build
	@$(CC) -m32 $(if $(findstring fault,$*),-DPROBE_FAULT) -c $< -o build/$*.o
	@$(LD) -m elf_i386 -Ttext=0x100000 -e probe_start build/$*.o -o $@

ifneq ($(APP),)
run: $(APP_ELF) build/kvm-probe.elf $(if $(filter iso,$(BOOT)),$(APP_ISO)) | $(DEPS)
	@python3 scripts/qemu.py --machine $(MACHINE) --boot $(BOOT) --mem $(MEM) --smp $(SMP) \
	  --accel $(ACCEL) --app --kernel $(APP_ELF) --iso $(APP_ISO) \
	  $(if $(filter iso,$(BOOT)),,--append "$(APPEND) -- $(ARGS)") \
	  --balloon-features $(BALLOON_FEATURES) \
	  $(if $(BALLOON_OPTS),--balloon-opts "$(BALLOON_OPTS)")
else
run: $(ELF) build/kvm-probe.elf $(if $(filter iso,$(BOOT)),$(ISO)) | $(DEPS)
	@python3 scripts/qemu.py --machine $(MACHINE) --boot $(BOOT) --mem $(MEM) --smp $(SMP) \
	  --accel $(ACCEL) $(if $(APPEND),--append "$(APPEND)") \
	  --balloon-features $(BALLOON_FEATURES) \
	  $(if $(BALLOON_OPTS),--balloon-opts "$(BALLOON_OPTS)") \
	  $(if $(DUMP),--dump "$(DUMP)") $(if $(QMP),--qmp "$(QMP)") \
	  $(if $(VMEM),--vmem $(VMEM) --vmem-block $(VMEM_BLOCK))
endif

dump: | $(DEPS)
	@test -n "$(QMP)" -a -n "$(DUMP)" || { echo "make dump: needs QMP=socket (of a make run QMP=socket) and DUMP=path"; exit 2; }
	@python3 scripts/qemu.py --dump-live "$(QMP)" --dump "$(DUMP)"

gdb: $(ELF) | $(DEPS)
	@python3 scripts/qemu.py --machine $(MACHINE) --mem $(MEM) --smp $(SMP) --accel tcg --gdb \
	  $(if $(APPEND),--append "$(APPEND)") </dev/null >$(BUILD)/gdb-qemu.log 2>&1 & \
	 sleep 1; gdb -q $(ELF) -ex 'target remote :1234' -ex 'hbreak kmain' -ex 'continue'; \
	 kill %1 2>/dev/null || true

test: $(ELF) $(ISO) $(BENCH_ELF) $(KVM_PROBES) $(BUILD)/ballast-test.iso host-build fuzz tools host-tsan lib-build apps | $(DEPS)
	@python3 scripts/testrun.py

bench: build/kvm-probe.elf | $(DEPS)
	@$(MAKE) --no-print-directory DEBUG=0 BUILD=build/release build/release/ballast-bench.elf
	@python3 scripts/bench.py --kernel build/release/ballast-bench.elf
	@$(MAKE) --no-print-directory DEBUG=0 BUILD=build/release APP=examples/kvcache build/release/app-kvcache/ballast.elf
	@python3 scripts/bench_app.py --kernel build/release/app-kvcache/ballast.elf
	@python3 scripts/bench_vmem.py --kernel build/release/ballast-bench.elf
	@$(MAKE) --no-print-directory bench-dump
	@python3 scripts/bootbench.py --kernel build/release/ballast-bench.elf \
		$(if $(BOOT_BASELINE),--baseline $(BOOT_BASELINE))

# The dump filter on a synthetic 4 GiB guest dump (docs/dumps.md): sizes, speed, cat as the limit.
.PHONY: bench-dump bench-boot bench-vmem
bench-dump: build/tools/ballast-dump
	@python3 scripts/dump_bench.py

# virtio-mem plug/unplug rates alone (docs/virtio-mem.md).
bench-vmem: build/kvm-probe.elf | $(DEPS)
	@$(MAKE) --no-print-directory DEBUG=0 BUILD=build/release build/release/ballast-bench.elf
	@python3 scripts/bench_vmem.py --kernel build/release/ballast-bench.elf

bench-boot: | $(DEPS)
	@$(MAKE) --no-print-directory DEBUG=0 BUILD=build/release build/release/ballast-bench.elf
	@python3 scripts/bootbench.py --kernel build/release/ballast-bench.elf \
		$(if $(BOOT_BASELINE),--baseline $(BOOT_BASELINE))

clean:
	rm -rf build/k build/app-* build/release build/host build/lib build/lib-bench-* build/bench-host build/*.elf build/*.elf.* build/*.iso build/iso-* build/sym* build/*.log

-include $(KOBJS:.o=.d) $(BENCH_OBJS:.o=.d)
