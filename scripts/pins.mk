# Pinned versions, in one place.  This file is both a make fragment
# (included by the Makefile) and a shell fragment (sourced by scripts/setup):
# keep every line a plain NAME=value with no spaces and no expansions.
#
# Two kinds of pin (Documentation/testing.rst, "Pins"):
#  - exact (*_PKGVER): what defines behaviour, the test machine's kernel and
#    the emulator.  When Debian's archive no longer has that revision,
#    scripts/setup installs the newest revision of the same package (for
#    the kernel: of the same ABI) and says so in one line.
#  - minimum (*_MIN): anything at or above it will do.
# scripts/setup writes what it resolved to .cache/resolved.mk, which the
# Makefile and the test machine read after this file.

# The test machine's kernel, pinned by ABI: Debian's cloud flavour (LZ4,
# boots fast in Bochs).  Its image and headers always come from one
# revision.  If the ABI leaves the archive entirely, setup takes the newest
# linux-image-$(KERNEL_ABI_GLOB)-$(KERNEL_FLAVOUR) whose headers install
# (the * stands for one number).
KERNEL_ABI=6.1.0-56
KERNEL_ABI_GLOB=6.1.0-*
KERNEL_FLAVOUR=cloud-amd64
KERNEL_RELEASE=6.1.0-56-cloud-amd64
KERNEL_PKGVER=6.1.192-2
KERNEL_SOURCE_PKG=linux-source-6.1
KERNEL_SOURCE_MIN=6.1.192-2

# The second kernel, Debian 12's 6.12 (bookworm-security), pinned the same
# way: make check compiles the module against its headers, make check-6.12
# boots it.  Its packages are extracted into .cache/, never installed: its
# headers depend on its image, and installing a kernel image would make it
# the build host's next boot.
KERNEL2_ABI=6.12.118+deb12
KERNEL2_ABI_GLOB=6.12.*+deb12
KERNEL2_FLAVOUR=cloud-amd64
KERNEL2_RELEASE=6.12.118+deb12-cloud-amd64
KERNEL2_PKGVER=6.12.118-1~deb12u1

# The emulator: exact.
BOCHS_PKGVER=2.7+dfsg-4+deb12u1

# The boot medium, initramfs and documentation tools: minimums.
VGABIOS_MIN=0.8a+ds-2
SYSLINUX_MIN=3:6.04~git20190206.bf6db5b4+dfsg1-3
XORRISO_MIN=1.5.4-4
BUSYBOX_MIN=1:1.35.0-4+deb12u1+b1
DOCUTILS_MIN=0.19+dfsg-6
