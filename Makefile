# SPDX-License-Identifier: GPL-2.0
#
# Vessel's top-level build.
#   make            vessel.ko, the vessel tool and the selftests
#   make check      host unit tests + the selftests in the emulated test machine
#   make demo       boot the test machine and run the main job in it
#   make bench      Vessel and KVM side by side in the test machine
#   make checkpatch the kernel's checkpatch.pl over our C sources
#   make deb        the vessel-dkms and vessel Debian packages, in .cache/deb/
#   make fresh-check the README's commands in a new Debian 12 root (on demand)
# KDIR selects the kernel to build against: the pinned Debian headers by
# default; on a real Intel host: make KDIR=/lib/modules/$(uname -r)/build
include scripts/pins.mk
# What scripts/setup resolved on this machine (a newer revision of a pin
# that left the archive); absent before the first set-up.
-include .cache/resolved.mk

KDIR ?= /lib/modules/$(KERNEL_RELEASE)/build
LINUX_SRC := $(CURDIR)/.cache/linux-source
export LINUX_SRC

all: kmod user selftests

kmod:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

user:
	$(MAKE) -C user

selftests: user
	$(MAKE) -C selftests
	$(MAKE) -C selftests/testbed/guests
	$(MAKE) -C selftests/bench

setup:
	scripts/setup

unit:
	$(MAKE) -C tests/unit check

check: setup
	$(MAKE) all
	scripts/check

bench: setup
	scripts/bench

demo: setup
	$(MAKE) all
	selftests/testbed/testbed --show --name demo selftests/testbed/demo.cmds

checkpatch:
	scripts/checkpatch

deb:
	scripts/setup --deb
	scripts/deb

fresh-check:
	scripts/setup --fresh-check
	scripts/fresh-check

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C user clean
	$(MAKE) -C selftests clean
	$(MAKE) -C selftests/testbed/guests clean
	$(MAKE) -C selftests/bench clean
	$(MAKE) -C tests/unit clean

.PHONY: all kmod user selftests setup unit check bench demo checkpatch deb fresh-check clean
