# Pinned versions, in one place.  This file is both a make fragment
# (included by the Makefile) and a shell fragment (sourced by scripts/setup):
# keep every line a plain NAME=value with no spaces and no expansions.

# The test machine's kernel: Debian's cloud flavour (LZ4, boots fast in Bochs).
KERNEL_ABI=6.1.0-56
KERNEL_FLAVOUR=cloud-amd64
KERNEL_RELEASE=6.1.0-56-cloud-amd64
KERNEL_PKGVER=6.1.192-2
KERNEL_SOURCE_PKG=linux-source-6.1

# The emulator and the boot medium.
BOCHS_PKGVER=2.7+dfsg-4+deb12u1
VGABIOS_PKGVER=0.8a+ds-2
SYSLINUX_PKGVER=3:6.04~git20190206.bf6db5b4+dfsg1-3
XORRISO_PKGVER=1.5.4-4
BUSYBOX_PKGVER=1:1.35.0-4+deb12u1+b1

# reStructuredText checks of Documentation/ (scripts/doccheck).
DOCUTILS_PKGVER=0.19+dfsg-6
