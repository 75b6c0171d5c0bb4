# Ballast - top-level Makefile.
#
#   make            build build/ballast.elf and build/ballast.iso (the image a
#                   user runs), and build/ballast-bench.elf (the same kernel
#                   with the benchmarks of bench/ linked in)
#   make run        boot it (KVM when usable, else TCG) with a serial shell
#   make test       host suites, in-kernel suites on every boot path, shell
#                   and QEMU system tests; ends with "N passed, M failed"
#   make bench      benchmarks (release build/release/ballast-bench.elf),
#                   JSON lines + a table
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
#   APPEND="kernel command line"   DEBUG=1 (CONFIG_DEBUG_VM checks; 0 for release)
#   BALLOON_FEATURES=on|off (make run's balloon offers deflate-on-OOM and free
#   page reporting; off: the plain device)
#   BALLOON_OPTS="disable-modern=on" (extra virtio-balloon properties; one named
#   here replaces the default, e.g. BALLOON_OPTS="free-page-reporting=off")

MEM     ?= 1G
MACHINE ?= q35
BOOT    ?= pvh
ACCEL   ?= auto
APPEND  ?=
BALLOON_FEATURES ?= on
BALLOON_OPTS ?=
DEBUG   ?= 1
BUILD   ?= build

.DEFAULT_GOAL := all
include mk/deps.mk
include mk/newlib.mk
include tests/host/host.mk
include mk/bench-host.mk

CC      := gcc
LD      := ld
KCFLAGS  = -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -mcmodel=kernel \
           -mno-red-zone -fno-stack-protector -fno-omit-frame-pointer \
           -mno-omit-leaf-frame-pointer -fno-strict-aliasing -fno-common \
           -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
           -Iinclude -Iarch/x86_64/include $(NEWLIB_CFLAGS) -MMD -MP
ifeq ($(DEBUG),1)
KCFLAGS += -DCONFIG_DEBUG_VM
endif
KASFLAGS := -Iinclude -Iarch/x86_64/include -MMD -MP

KEXCLUDE ?=
KSRC_C := $(filter-out $(KEXCLUDE),$(wildcard arch/x86_64/*.c kernel/*.c mm/*.c lib/*.c workloads/*.c \
                                    drivers/pci/*.c drivers/virtio/*.c tests/kernel/*.c))
KSRC_S := $(wildcard boot/*.S arch/x86_64/*.S)
KOBJS  := $(patsubst %.c,$(BUILD)/k/%.o,$(KSRC_C)) $(patsubst %.S,$(BUILD)/k/%.o,$(KSRC_S))
# Expanded on first use, after the deps check has installed gcc (see mk/deps.mk).
LIBGCC  = $(eval LIBGCC := $(shell $(CC) -print-libgcc-file-name))$(LIBGCC)
KLIBS   = $(NEWLIB_LIBS) $(LIBGCC)
KLDFLAGS := -nostdlib -static -T linker.ld -z max-page-size=4096 --no-warn-rwx-segments

# Benchmarks (bench/*.c) are linked only into the benchmark image; the
# runner (kernel/bench.c, bench=) is in both and says so when it has none.
BENCH_SRC  := $(wildcard bench/*.c)
BENCH_OBJS := $(patsubst %.c,$(BUILD)/k/%.o,$(BENCH_SRC))

ELF := $(BUILD)/ballast.elf
BENCH_ELF := $(BUILD)/ballast-bench.elf
ISO := $(BUILD)/ballast.iso

.PHONY: all run test bench iso gdb clean tools
all: $(ELF) $(ISO) $(BENCH_ELF) tools

# Host tools: page-types reads a kpageflags dump captured from the console.
tools: build/tools/page-types
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
	@$(LD) $(KLDFLAGS) $(filter %.o,$^) $@.symtab0.o $(KLIBS) -o $@.pass1
	@nm -n $@.pass1 | python3 scripts/gensyms.py > $@.symtab.S
	@$(CC) -c $@.symtab.S -o $@.symtab.o
	@$(LD) $(KLDFLAGS) $(filter %.o,$^) $@.symtab.o $(KLIBS) -o $@
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

run: $(ELF) build/kvm-probe.elf $(if $(filter iso,$(BOOT)),$(ISO)) | $(DEPS)
	@python3 scripts/qemu.py --machine $(MACHINE) --boot $(BOOT) --mem $(MEM) \
	  --accel $(ACCEL) $(if $(APPEND),--append "$(APPEND)") \
	  --balloon-features $(BALLOON_FEATURES) \
	  $(if $(BALLOON_OPTS),--balloon-opts "$(BALLOON_OPTS)")

gdb: $(ELF) | $(DEPS)
	@python3 scripts/qemu.py --machine $(MACHINE) --mem $(MEM) --accel tcg --gdb \
	  $(if $(APPEND),--append "$(APPEND)") </dev/null >$(BUILD)/gdb-qemu.log 2>&1 & \
	 sleep 1; gdb -q $(ELF) -ex 'target remote :1234' -ex 'hbreak kmain' -ex 'continue'; \
	 kill %1 2>/dev/null || true

test: $(ELF) $(BENCH_ELF) $(KVM_PROBES) $(BUILD)/ballast-test.iso host-build fuzz tools | $(DEPS)
	@python3 scripts/testrun.py

bench: build/kvm-probe.elf | $(DEPS)
	@$(MAKE) --no-print-directory DEBUG=0 BUILD=build/release build/release/ballast-bench.elf
	@python3 scripts/bench.py --kernel build/release/ballast-bench.elf

clean:
	rm -rf build/k build/release build/host build/bench-host build/*.elf build/*.elf.* build/*.iso build/iso-* build/sym* build/*.log

-include $(KOBJS:.o=.d) $(BENCH_OBJS:.o=.d)
