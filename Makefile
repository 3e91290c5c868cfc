# SPDX-License-Identifier: GPL-2.0
#
# Vessel's top-level build.
#   make             vessel.ko, the vessel tool and the test guests: needs
#                    only the kernel headers (KDIR) and gcc
#   make selftests   the kselftest binaries and the benchmarks: need
#                    kselftest_harness.h (scripts/kselftest-dir finds it)
#   make check       set-up, then every test (scripts/check), including the
#                    module built with W=1 against both pinned kernels
#   make check-6.12  the test machine's suite on Debian's 6.12 kernel
#   make demo        boot the test machine and boot Linux under Vessel in it
#   make bench       Vessel and KVM side by side in the test machine
#   make fuzz        the long fuzzing runs: host harnesses, then the
#                    in-machine fuzzer (FUZZ_SECONDS, FUZZ_SEED)
#   make checkpatch  the kernel's checkpatch.pl over our C sources
#   make VESSEL_WERROR=1 ...   the module's warnings are errors
#   make deb         the vessel-dkms and vessel Debian packages
#   make fresh-check the README's commands in a new Debian 12 root (on demand)
# KDIR selects the kernel to build against: the pinned Debian headers by
# default; on a real Intel host: make KDIR=/lib/modules/$(uname -r)/build
include scripts/pins.mk
# What scripts/setup resolved on this machine (a newer revision of a pin
# that left the archive); absent before the first set-up.
-include .cache/resolved.mk

KDIR ?= /lib/modules/$(KERNEL_RELEASE)/build
# The second kernel's headers, extracted by scripts/setup, and the tree the
# module is built in for them: links to kmod/'s sources, so that the objects
# of the two builds never mix.
KDIR2 := $(CURDIR)/.cache/headers-$(KERNEL2_RELEASE)/usr/src/linux-headers-$(KERNEL2_RELEASE)
KMOD2 := $(CURDIR)/.cache/build-$(KERNEL2_RELEASE)

all: kmod user guests

# M= names kmod/ itself: kbuild's clean deletes every object file below M.
kmod:
	@test -f $(KDIR)/Makefile || { echo "kmod: no kernel headers in $(KDIR): run scripts/setup, or make KDIR=/lib/modules/\$$(uname -r)/build" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod modules

kmod-6.12:
	@test -f $(KDIR2)/Makefile || { echo "kmod-6.12: no kernel headers in $(KDIR2): run scripts/setup" >&2; exit 1; }
	@mkdir -p $(KMOD2)/kmod
	@ln -sfn $(CURDIR)/uapi $(KMOD2)/uapi
	@find $(KMOD2)/kmod -xtype l -delete
	@cd kmod && for f in Kbuild $$(find . -name '*.[chS]' ! -name '*.mod.c'); do \
		mkdir -p $(KMOD2)/kmod/$$(dirname $$f) && \
		ln -sf $(CURDIR)/kmod/$$f $(KMOD2)/kmod/$$f || exit 1; \
	done
	$(MAKE) -C $(KDIR2) M=$(KMOD2)/kmod modules

user:
	$(MAKE) -C user

guests:
	$(MAKE) -C selftests/testbed/guests

selftests: user guests
	@ksft=$$(KDIR=$(KDIR) scripts/kselftest-dir) && $(MAKE) -C selftests KSFT="$$ksft"
	$(MAKE) -C selftests/bench
	$(MAKE) -C selftests/linux

setup:
	scripts/setup

unit:
	$(MAKE) -C tests/unit check

# scripts/check builds the module itself, with W=1 and VESSEL_WERROR=1.
check: setup
	$(MAKE) user selftests
	scripts/check

check-6.12:
	scripts/setup --kernel2
	$(MAKE) user selftests
	scripts/check --kernel2

bench:
	scripts/setup --bench
	scripts/bench

fuzz: setup
	$(MAKE) all
	scripts/fuzz

demo: setup
	$(MAKE) all
	$(MAKE) -C selftests/linux
	selftests/testbed/testbed --show --name demo --guest-kernel selftests/testbed/demo.cmds

checkpatch:
	scripts/checkpatch

deb:
	scripts/setup --deb
	scripts/deb

fresh-check:
	scripts/setup --fresh-check
	scripts/fresh-check

kmod-clean:
	@if test -f $(KDIR)/Makefile; then $(MAKE) -C $(KDIR) M=$(CURDIR)/kmod clean; fi
	rm -rf $(KMOD2)

clean: kmod-clean
	$(MAKE) -C user clean
	$(MAKE) -C selftests clean
	$(MAKE) -C selftests/testbed/guests clean
	$(MAKE) -C selftests/bench clean
	$(MAKE) -C selftests/linux clean
	$(MAKE) -C tests/unit clean
	$(MAKE) -C tests/fuzz clean

.PHONY: all kmod kmod-6.12 user guests selftests setup unit check check-6.12 bench fuzz demo \
	checkpatch deb fresh-check kmod-clean clean
