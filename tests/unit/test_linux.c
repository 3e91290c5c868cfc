// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the Linux loaders: bzImage through the 64-bit boot
 * protocol, and vmlinux through its PVH entry.
 *
 * Most images are made here, field by field, so each test names the byte
 * that makes an image bad. Two tests load the real thing: the pinned
 * Debian cloud kernel that scripts/setup extracts into .cache (the bzImage
 * the test machine boots), and the vmlinux inside it (build/vmlinux, which
 * the Makefile unpacks with lz4). They are skipped only when set-up has
 * not run, so the file is not there.
 */
#include <asm/bootparam.h>
#include <elf.h>
#include <errno.h>
#include <glob.h>
#include <stdlib.h>

#include "boot/loader.h"
#include "boot/pagetable.h"
#include "tap.h"

#define KIB		1024ULL
#define MIB		(1024 * KIB)
#define GIB		(1024 * MIB)
#define RAM_SIZE	(128 * MIB)	/* the real kernel needs ~68 MiB */
#define SMALL_RAM	(32 * MIB)
#define IMG_MAX		(256 * KIB)

/* The made-up bzImage: 4 setup sectors, a 64 KiB kernel. */
#define BZ_SETUP_SECTS	4
#define BZ_SETUP_SIZE	((BZ_SETUP_SECTS + 1) * 512)
#define BZ_PM_SIZE	(64 * KIB)
#define BZ_LEN		(BZ_SETUP_SIZE + BZ_PM_SIZE)
#define BZ_PREF		0x1000000ULL	/* 16 MiB */
#define BZ_ALIGN	0x200000U
#define BZ_INIT_SIZE	0x200000U
#define BZ_KINFO_OFF	0x400U

#define OFF(field)	(0x1f1 + offsetof(struct setup_header, field))

#define PVH_ENTRY	0x1000850U
#define PVH_VIRT_ENTRY	0xffffffff81000000ULL
#define XEN_ELFNOTE_PHYS32_ENTRY 18

static uint8_t *ram;
static uint8_t img[IMG_MAX];
static char err[256];
static struct vessel_boot boot;

#include "image_build.h"

static int load_img(const uint8_t *image, uint64_t ram_size, size_t len,
		    const struct vessel_load_opts *opts)
{
	return vessel_image_load(ram, ram_size, image, len, opts, &boot, err,
				 sizeof(err));
}

static int load(uint64_t ram_size, size_t len,
		const struct vessel_load_opts *opts)
{
	return load_img(img, ram_size, len, opts);
}

#define CHECK_LOAD_FAILS(ret, errnum, text)				\
	do {								\
		CHECK_EQ((ret), -(errnum));				\
		CHECK_CONTAINS(err, (text));				\
	} while (0)

#define CHECK_IDENTITY(va)						\
	do {								\
		uint64_t pa_ = ~0ULL;					\
		CHECK(translate(boot.cr3, (va), &pa_));			\
		CHECK_EQ(pa_, (va));					\
	} while (0)

/* A descriptor's fields: base, limit (scaled), type/S/DPL/P, L, D/B, G. */
#define DESC_BASE(d)	((((d) >> 16) & 0xffffff) | (((d) >> 32) & 0xff000000))
#define DESC_LIMIT(d)	(((d) & 0xffff) | (((d) >> 32) & 0xf0000))
#define DESC_ACCESS(d)	(((d) >> 40) & 0xff)
#define DESC_L(d)	(((d) >> 53) & 1)
#define DESC_DB(d)	(((d) >> 54) & 1)
#define DESC_G(d)	(((d) >> 55) & 1)

/* ---- A made-up bzImage ---------------------------------------------------- */

static uint8_t pm_byte(uint64_t i)
{
	return 0x5a ^ (i * 7);
}

/* Protocol @version, everything else as a 64-bit 6.x kernel has it. */
static size_t build_bzimage(uint16_t version)
{
	uint64_t i;

	memset(img, 0, sizeof(img));
	img[OFF(setup_sects)] = BZ_SETUP_SECTS;
	put16(img, OFF(boot_flag), 0xaa55);
	img[OFF(jump)] = 0xeb;
	img[OFF(jump) + 1] = 0x6a;	/* the header ends at 0x26c */
	put32(img, OFF(header), 0x53726448);
	put16(img, OFF(version), version);
	put16(img, OFF(kernel_version), 0x200);
	img[OFF(loadflags)] = LOADED_HIGH;
	put32(img, OFF(syssize), BZ_PM_SIZE / 16);
	put32(img, OFF(code32_start), 0x100000);
	put32(img, OFF(initrd_addr_max), 0x7fffffff);
	put32(img, OFF(kernel_alignment), BZ_ALIGN);
	img[OFF(relocatable_kernel)] = 1;
	img[OFF(min_alignment)] = 21;
	put16(img, OFF(xloadflags), XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G);
	put32(img, OFF(cmdline_size), 2047);
	put32(img, OFF(payload_offset), 0x100);
	put32(img, OFF(payload_length), 0x800);
	put64(img, OFF(pref_address), BZ_PREF);
	put32(img, OFF(init_size), BZ_INIT_SIZE);
	put32(img, OFF(kernel_info_offset), BZ_KINFO_OFF);
	/* Bytes the loader must not hand over: not the setup header's. */
	img[0x1ef] = 0xff;		/* the sentinel */
	img[0x290] = 0xee;		/* past the header */
	for (i = 0; i < BZ_PM_SIZE; i++)
		img[BZ_SETUP_SIZE + i] = pm_byte(i);
	put32(img, BZ_SETUP_SIZE + BZ_KINFO_OFF, 0x506f544c);	/* "LToP" */
	return BZ_LEN;
}

static const struct boot_params *zero_page(void)
{
	return (const struct boot_params *)(ram + boot.linux_params);
}

/* The e820 map every Linux boot gets, for @ram_size. */
static void check_memory_map(const struct boot_e820_entry *e, unsigned int n,
			     uint64_t ram_size)
{
	CHECK_EQ(n, 3);
	CHECK_EQ(e[0].addr, 0);
	CHECK_EQ(e[0].size, 0xa0000);
	CHECK_EQ(e[0].type, 1);
	CHECK_EQ(e[1].addr, 0xf0000);
	CHECK_EQ(e[1].size, 0x10000);
	CHECK_EQ(e[1].type, 2);
	CHECK_EQ(e[2].addr, 0x100000);
	CHECK_EQ(e[2].size, ram_size - 0x100000);
	CHECK_EQ(e[2].type, 1);
}

/* ---- bzImage: detection and a good load ----------------------------------- */

static void test_bzimage_detect(void)
{
	size_t len = build_bzimage(0x020f);

	CHECK_EQ(vessel_image_detect(img, len), VESSEL_IMAGE_BZIMAGE);
	CHECK_STR_EQ(vessel_image_format_name(VESSEL_IMAGE_BZIMAGE), "bzImage");
	/* Either magic missing: not a bzImage (and nothing else either). */
	put16(img, OFF(boot_flag), 0x55aa);
	CHECK_EQ(vessel_image_detect(img, len), VESSEL_IMAGE_AUTO);
	build_bzimage(0x020f);
	img[OFF(header)] = 'h';
	CHECK_EQ(vessel_image_detect(img, len), VESSEL_IMAGE_AUTO);
	build_bzimage(0x020f);
	CHECK_EQ(vessel_image_detect(img, OFF(header) + 3), VESSEL_IMAGE_AUTO);
}

static void test_bzimage_loads_64bit_protocol(void)
{
	const struct vessel_load_opts opts = { .cmdline = "console=ttyS0 quiet" };
	const struct boot_params *bp;
	uint64_t i, pt_size = vessel_pagetable_size(4 * GIB);
	size_t len = build_bzimage(0x020f);

	memset(ram, 0xcc, SMALL_RAM);	/* the zero page must not be */
	CHECK_EQ(load(SMALL_RAM, len, &opts), 0);
	CHECK_EQ(boot.format, VESSEL_IMAGE_BZIMAGE);

	/* The protected-mode kernel at pref_address, and nothing else. */
	CHECK(!memcmp(ram + BZ_PREF, img + BZ_SETUP_SIZE, BZ_PM_SIZE));
	CHECK_EQ(boot.image_start, BZ_PREF);
	CHECK_EQ(boot.image_end, BZ_PREF + BZ_INIT_SIZE);

	/* CPU: 64-bit entry in long mode, as boot.rst says. */
	CHECK_EQ(boot.mode, VESSEL_CPU_LONG64);
	CHECK_EQ(boot.rip, BZ_PREF + 0x200);
	CHECK_EQ(boot.rsi, boot.linux_params);
	CHECK_EQ(boot.rflags, 2);			/* interrupts off */
	CHECK_EQ(boot.cs, 0x10);			/* __BOOT_CS */
	CHECK_EQ(boot.ds, 0x18);			/* __BOOT_DS */
	CHECK_EQ(boot.ss, 0x18);
	CHECK_EQ(boot.cr0 & (VESSEL_CR0_PE | VESSEL_CR0_PG),
		 VESSEL_CR0_PE | VESSEL_CR0_PG);
	CHECK_EQ(boot.cr4 & VESSEL_CR4_PAE, VESSEL_CR4_PAE);
	CHECK_EQ(boot.efer, VESSEL_EFER_LME | VESSEL_EFER_LMA);

	/* The GDT in RAM is the one described, with flat 4 GiB segments. */
	CHECK_EQ(boot.gdt_limit, 0x1f);
	for (i = 0; i < VESSEL_BOOT_GDT_ENTRIES; i++)
		CHECK_EQ(guest64(boot.gdt_base + 8 * i), boot.gdt[i]);
	CHECK_EQ(boot.gdt[0], 0);
	CHECK_EQ(DESC_BASE(boot.gdt[2]), 0);
	CHECK_EQ(DESC_LIMIT(boot.gdt[2]), 0xfffff);
	CHECK_EQ(DESC_G(boot.gdt[2]), 1);
	CHECK_EQ(DESC_ACCESS(boot.gdt[2]) & 0x9a, 0x9a);	/* P, S, code, R */
	CHECK_EQ(DESC_L(boot.gdt[2]), 1);
	CHECK_EQ(DESC_DB(boot.gdt[2]), 0);
	CHECK_EQ(DESC_ACCESS(boot.gdt[3]) & 0x9a, 0x92);	/* P, S, data, W */
	CHECK_EQ(DESC_LIMIT(boot.gdt[3]), 0xfffff);
	CHECK_EQ(DESC_BASE(boot.gdt[3]), 0);

	/* The zero page: clean, with the image's setup header. */
	bp = zero_page();
	CHECK_EQ(boot.linux_params % VESSEL_PAGE_SIZE, 0);
	/* What the kernel told the loader is still there for the kernel. */
	CHECK_EQ(bp->hdr.setup_sects, BZ_SETUP_SECTS);
	CHECK_EQ(bp->hdr.boot_flag, 0xaa55);
	CHECK_EQ(bp->hdr.header, 0x53726448);
	CHECK_EQ(bp->hdr.loadflags, LOADED_HIGH);
	CHECK_EQ(bp->hdr.kernel_alignment, BZ_ALIGN);
	CHECK_EQ(bp->hdr.xloadflags, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G);
	CHECK_EQ(bp->hdr.cmdline_size, 2047);
	CHECK_EQ(bp->hdr.initrd_addr_max, 0x7fffffff);
	CHECK_EQ(bp->hdr.pref_address, BZ_PREF);
	CHECK_EQ(bp->hdr.init_size, BZ_INIT_SIZE);
	CHECK_EQ(bp->hdr.kernel_info_offset, BZ_KINFO_OFF);
	CHECK_EQ(bp->sentinel, 0);
	CHECK_EQ(((const uint8_t *)bp)[0x290], 0);
	CHECK_EQ(((const uint8_t *)bp)[0x10], 0);	/* screen_info */
	CHECK_EQ(bp->hdr.version, 0x020f);
	CHECK_EQ(bp->hdr.type_of_loader, 0xff);
	CHECK_EQ(bp->hdr.vid_mode, 0xffff);
	CHECK_EQ(bp->hdr.code32_start, BZ_PREF);
	CHECK_EQ(bp->hdr.ramdisk_image, 0);
	CHECK_EQ(bp->hdr.ramdisk_size, 0);
	CHECK_EQ(bp->hdr.setup_data, 0);
	CHECK_EQ(bp->ext_cmd_line_ptr, 0);
	CHECK_STR_EQ(guest_str(bp->hdr.cmd_line_ptr), "console=ttyS0 quiet");
	CHECK_EQ(bp->acpi_rsdp_addr, 0);
	check_memory_map(bp->e820_table, bp->e820_entries, SMALL_RAM);

	/* Everything handed over is identity-mapped; nothing overlaps. */
	CHECK_IDENTITY(boot.rip);
	CHECK_IDENTITY(BZ_PREF + BZ_INIT_SIZE - 1);
	CHECK_IDENTITY(boot.linux_params);
	CHECK_IDENTITY(bp->hdr.cmd_line_ptr);
	CHECK_IDENTITY(boot.gdt_base);
	CHECK_IDENTITY(4 * GIB - 1);
	CHECK(boot.linux_params >= VESSEL_PAGE_SIZE);
	CHECK(boot.linux_params + VESSEL_PAGE_SIZE <= 0xa0000);
	CHECK(!overlaps(boot.cr3, pt_size, boot.linux_params, VESSEL_PAGE_SIZE));
	CHECK(!overlaps(boot.cr3, pt_size, boot.gdt_base, 0x20));
	CHECK(!overlaps(boot.cr3, pt_size, bp->hdr.cmd_line_ptr, 20));
	CHECK(!overlaps(boot.linux_params, VESSEL_PAGE_SIZE,
			bp->hdr.cmd_line_ptr, 20));
	CHECK(boot.rsp > 0 && boot.rsp <= 0xa0000);
}

/* A kernel that cannot be relocated runs where pref_address says. */
static void test_bzimage_placement(void)
{
	size_t len = build_bzimage(0x020c);

	put64(img, OFF(pref_address), BZ_PREF + 0x1000);
	CHECK_EQ(load(SMALL_RAM, len, NULL), 0);
	CHECK_EQ(boot.rip, BZ_PREF + 0x200000 + 0x200);	/* aligned up */
	img[OFF(relocatable_kernel)] = 0;
	CHECK_EQ(load(SMALL_RAM, len, NULL), 0);
	CHECK_EQ(boot.rip, BZ_PREF + 0x1000 + 0x200);
	CHECK_EQ(ram[BZ_PREF + 0x1000], pm_byte(0));
	/* init_size smaller than the file: the file's kernel counts. */
	put32(img, OFF(init_size), 0x1000);
	CHECK_EQ(load(SMALL_RAM, len, NULL), 0);
	CHECK_EQ(boot.image_end, BZ_PREF + 0x1000 + BZ_PM_SIZE);
}

static void test_bzimage_initrd(void)
{
	static uint8_t rd[3 * MIB + 5];
	const struct vessel_load_module initrd = { "rd.gz", rd, sizeof(rd), NULL };
	const struct vessel_load_opts opts = { .initrd = &initrd };
	const struct boot_params *bp;
	uint64_t at;
	size_t i, len = build_bzimage(0x020f);

	for (i = 0; i < sizeof(rd); i++)
		rd[i] = i * 13;
	/* As high as RAM allows, page aligned. */
	CHECK_EQ(load(SMALL_RAM, len, &opts), 0);
	bp = zero_page();
	at = bp->hdr.ramdisk_image | (uint64_t)bp->ext_ramdisk_image << 32;
	CHECK_EQ(at, (SMALL_RAM - sizeof(rd)) & ~0xfffULL);
	CHECK_EQ(bp->hdr.ramdisk_size, sizeof(rd));
	CHECK_EQ(bp->ext_ramdisk_size, 0);
	CHECK(!memcmp(ram + at, rd, sizeof(rd)));
	CHECK_IDENTITY(at + sizeof(rd) - 1);

	/* And below initrd_addr_max, the last byte it may occupy. */
	put32(img, OFF(initrd_addr_max), 0x1800000 - 1);
	CHECK_EQ(load(SMALL_RAM, len, &opts), 0);
	bp = zero_page();
	CHECK_EQ(bp->hdr.ramdisk_image, (0x1800000 - sizeof(rd)) & ~0xfffULL);

	/* Never into the kernel's init_size: too big is refused. */
	put32(img, OFF(initrd_addr_max), 0x7fffffff);
	CHECK_LOAD_FAILS(load(BZ_PREF + BZ_INIT_SIZE + 3 * MIB, len, &opts),
			 ENOSPC, "no room in guest memory (21 MiB) for the initrd 'rd.gz'");
	put32(img, OFF(initrd_addr_max), 0x1400000 - 1);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, &opts), ENOSPC,
			 "for the initrd 'rd.gz' (3145733 bytes) between 0x1200000 and 0x1400000");
	/* An empty initrd is no initrd. */
	{
		const struct vessel_load_module empty = { "e", "", 0, NULL };
		const struct vessel_load_opts o2 = { .initrd = &empty };

		CHECK_EQ(load(SMALL_RAM, len, &o2), 0);
		CHECK_EQ(zero_page()->hdr.ramdisk_image, 0);
	}
}

static void test_bzimage_cmdline_size(void)
{
	struct vessel_load_opts opts = { .cmdline = "12345678" };
	size_t len = build_bzimage(0x020f);

	put32(img, OFF(cmdline_size), 8);	/* NUL not counted */
	CHECK_EQ(load(SMALL_RAM, len, &opts), 0);
	CHECK_STR_EQ(guest_str(zero_page()->hdr.cmd_line_ptr), "12345678");
	opts.cmdline = "123456789";
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, &opts), EINVAL,
			 "the command line is 9 bytes; this kernel takes at most 8 (cmdline_size)");
	/* No command line is still one: an empty string. */
	CHECK_EQ(load(SMALL_RAM, len, NULL), 0);
	CHECK(zero_page()->hdr.cmd_line_ptr != 0);
	CHECK_STR_EQ(guest_str(zero_page()->hdr.cmd_line_ptr), "");
}

static void test_bzimage_rsdp(void)
{
	size_t len = build_bzimage(0x020f);

	CHECK_EQ(load(SMALL_RAM, len, NULL), 0);
	CHECK_EQ(vessel_image_set_rsdp(ram, SMALL_RAM, &boot, 0xf0130), 0);
	CHECK_EQ(zero_page()->acpi_rsdp_addr, 0xf0130);
	boot.linux_params = SMALL_RAM - 8;
	CHECK_EQ(vessel_image_set_rsdp(ram, SMALL_RAM, &boot, 1), -EINVAL);
	/* Formats without a place for it are left alone. */
	boot.format = VESSEL_IMAGE_MULTIBOOT;
	CHECK_EQ(vessel_image_set_rsdp(ram, SMALL_RAM, &boot, 1), 0);
}

/* ---- bzImage: refused ----------------------------------------------------- */

static void test_bzimage_old_protocol(void)
{
	const struct vessel_load_opts opts = { .format = VESSEL_IMAGE_BZIMAGE };
	size_t len = build_bzimage(0x020b);

	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), ENOEXEC,
			 "Linux boot protocol 2.11: vessel needs 2.12 or later");
	build_bzimage(0x0204);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, &opts), ENOEXEC,
			 "Linux boot protocol 2.04: vessel needs 2.12 or later");
	build_bzimage(0x020c);
	put16(img, OFF(xloadflags), XLF_EFI_HANDOVER_32);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), ENOEXEC,
			 "no 64-bit entry point (XLF_KERNEL_64 clear in xloadflags)");
	build_bzimage(0x020c);
	img[OFF(loadflags)] = 0;
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), ENOEXEC,
			 "a zImage (LOADED_HIGH clear in loadflags)");
}

static void test_bzimage_wrong_magic(void)
{
	const struct vessel_load_opts opts = { .format = VESSEL_IMAGE_BZIMAGE };
	size_t len = build_bzimage(0x020f);

	put32(img, OFF(header), 0x53726449);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, &opts), ENOEXEC,
			 "not a Linux bzImage (no boot flag 0xaa55 at 0x1fe and \"HdrS\" at 0x202)");
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), ENOEXEC,
			 "not an ELF, multiboot or Linux bzImage image");
	build_bzimage(0x020f);
	img[OFF(jump)] = 0xe9;
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), EINVAL,
			 "malformed setup header: no short jump at 0x200 (0xe9)");
}

static void test_bzimage_truncated(void)
{
	size_t len = build_bzimage(0x020f);

	/* Cut inside the setup header, inside the setup code, the kernel. */
	CHECK_LOAD_FAILS(load(SMALL_RAM, 0x240, NULL), EINVAL,
			 "truncated bzImage: the setup header ends at 0x26c, past the end of the file (576 bytes)");
	CHECK_LOAD_FAILS(load(SMALL_RAM, BZ_SETUP_SIZE, NULL), EINVAL,
			 "truncated bzImage: the setup code (4 sectors) reaches past the end of the file (2560 bytes)");
	CHECK_LOAD_FAILS(load(SMALL_RAM, len - 16, NULL), EINVAL,
			 "truncated bzImage: syssize says the kernel is 65536 bytes, the file holds 65520 after the setup code");
	/* A short header for its version. */
	img[OFF(jump) + 1] = 0x60;
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), EINVAL,
			 "malformed setup header: it ends at 0x262, before the fields of protocol 2.15");
	put16(img, OFF(version), 0x020c);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), EINVAL,
			 "before the fields of protocol 2.12");
	/* setup_sects 0 means 4 (boot.rst). */
	build_bzimage(0x020f);
	img[OFF(setup_sects)] = 0;
	CHECK_EQ(load(SMALL_RAM, len, NULL), 0);
}

static void test_bzimage_outside_file(void)
{
	size_t len = build_bzimage(0x020f);

	put32(img, OFF(payload_offset), BZ_PM_SIZE - 0x7ff);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), EINVAL,
			 "the payload (offset 0xf801, 2048 bytes) lies outside the kernel (65536 bytes)");
	put32(img, OFF(payload_offset), 0xffffffff);
	put32(img, OFF(payload_length), 0xffffffff);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), EINVAL,
			 "the payload (offset 0xffffffff");
	build_bzimage(0x020f);
	put32(img, OFF(kernel_info_offset), BZ_PM_SIZE - 8);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), EINVAL,
			 "no kernel_info (\"LToP\") at kernel_info_offset 0xfff8");
	put32(img, OFF(kernel_info_offset), 0x800);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), EINVAL,
			 "kernel_info_offset 0x800");
	/* Before 2.15 the field is not there: ignored. */
	put16(img, OFF(version), 0x020c);
	CHECK_EQ(load(SMALL_RAM, len, NULL), 0);
}

static void test_bzimage_bad_placement(void)
{
	size_t len = build_bzimage(0x020f);

	/* 16 MiB + init_size does not fit: say how much it needs. */
	CHECK_LOAD_FAILS(load(17 * MIB, len, NULL), ENOSPC,
			 "the kernel needs guest memory up to 18 MiB (loaded at 0x1000000, init_size 2 MiB), but the guest has 17 MiB");
	/* Relocatable: aligned up to 2 MiB, fine; else refused. */
	put64(img, OFF(pref_address), 0x80000);
	CHECK_EQ(load(SMALL_RAM, len, NULL), 0);
	CHECK_EQ(boot.rip, 0x200000 + 0x200);
	img[OFF(relocatable_kernel)] = 0;
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), EINVAL,
			 "pref_address 0x80000 lies below 1 MiB");
	img[OFF(relocatable_kernel)] = 1;
	put64(img, OFF(pref_address), 0xffffffffffff0000ULL);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), EINVAL,
			 "reaches past 4 GiB");
	build_bzimage(0x020f);
	put32(img, OFF(init_size), 0xffffffff);
	put64(img, OFF(pref_address), 0xf0000000);
	img[OFF(relocatable_kernel)] = 0;
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), EINVAL,
			 "reaches past 4 GiB");
	build_bzimage(0x020f);
	put32(img, OFF(kernel_alignment), 0x300000);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), EINVAL,
			 "kernel_alignment 0x300000 is not a power of two");
	put32(img, OFF(kernel_alignment), 0);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), EINVAL,
			 "kernel_alignment 0 is not a power of two");
}

/* Options that do not suit a Linux kernel, and an initrd without one. */
static void test_linux_options(void)
{
	static const struct vessel_load_module m = { "m", "x", 1, NULL };
	const struct vessel_load_opts mods = { .modules = &m, .nr_modules = 1 };
	const struct vessel_load_opts initrd = {
		.format = VESSEL_IMAGE_FLAT, .initrd = &m,
	};
	const struct vessel_load_module nodata = { "n", NULL, 5, NULL };
	const struct vessel_load_opts bad = { .initrd = &nodata };
	size_t len = build_bzimage(0x020f);

	CHECK_LOAD_FAILS(load(SMALL_RAM, len, &mods), EINVAL,
			 "modules need a multiboot image, not bzImage (Linux takes an initrd)");
	CHECK_LOAD_FAILS(load(SMALL_RAM, 16, &initrd), EINVAL,
			 "an initrd needs a Linux kernel (bzImage or PVH ELF), not flat binary");
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, &bad), EINVAL,
			 "the initrd has no data");
}

/* ---- PVH ------------------------------------------------------------------ */

#define PVH_PHDRS	3
#define PVH_NOTE_OFF	0x800
#define PVH_SEG_OFF	0x1000
#define PVH_SEG_SIZE	0x3000
#define PVH_BSS		0x5000

/*
 * A vmlinux-like ELF64: a segment at 16 MiB, a notes segment holding a
 * note that is not ours and then the PVH note (@descsz bytes of @entry).
 */
static size_t build_pvh(uint32_t descsz, uint64_t entry)
{
	Elf64_Ehdr e = {
		.e_type = ET_EXEC, .e_machine = EM_X86_64,
		.e_version = EV_CURRENT, .e_entry = PVH_VIRT_ENTRY,
		.e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = PVH_PHDRS,
	};
	Elf64_Phdr load = {
		.p_type = PT_LOAD, .p_offset = PVH_SEG_OFF,
		.p_vaddr = PVH_VIRT_ENTRY, .p_paddr = 0x1000000,
		.p_filesz = PVH_SEG_SIZE, .p_memsz = PVH_SEG_SIZE + PVH_BSS,
	};
	Elf64_Phdr note = { .p_type = PT_NOTE, .p_offset = PVH_NOTE_OFF };
	Elf64_Phdr null = { .p_type = PT_NULL };
	uint64_t off = PVH_NOTE_OFF, i;

	memset(img, 0, sizeof(img));
	memcpy(e.e_ident, ELFMAG, SELFMAG);
	e.e_ident[EI_CLASS] = ELFCLASS64;
	e.e_ident[EI_DATA] = ELFDATA2LSB;
	e.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(img, &e, sizeof(e));

	/* "GNU" build-id note, then Xen's GUEST_OS, then PHYS32_ENTRY. */
	put32(img, off, 4);
	put32(img, off + 4, 8);
	put32(img, off + 8, NT_GNU_BUILD_ID);
	memcpy(img + off + 12, "GNU", 4);
	off += 12 + 4 + 8;
	put32(img, off, 4);
	put32(img, off + 4, 6);
	put32(img, off + 8, 6);
	memcpy(img + off + 12, "Xen", 4);
	memcpy(img + off + 16, "linux", 6);
	off += 12 + 4 + 8;
	put32(img, off, 4);
	put32(img, off + 4, descsz);
	put32(img, off + 8, XEN_ELFNOTE_PHYS32_ENTRY);
	memcpy(img + off + 12, "Xen", 4);
	put64(img, off + 16, entry);
	off += 12 + 4 + ((descsz + 3) & ~3U);
	note.p_filesz = off - PVH_NOTE_OFF;

	memcpy(img + e.e_phoff, &load, sizeof(load));
	memcpy(img + e.e_phoff + sizeof(load), &note, sizeof(note));
	memcpy(img + e.e_phoff + 2 * sizeof(load), &null, sizeof(null));
	for (i = 0; i < PVH_SEG_SIZE; i++)
		img[PVH_SEG_OFF + i] = pm_byte(i);
	return PVH_SEG_OFF + PVH_SEG_SIZE;
}

/* The Xen ABI's start info, version 1 (start_info.h). */
struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

static void test_pvh_detect(void)
{
	size_t len = build_pvh(8, PVH_ENTRY);

	CHECK_EQ(vessel_image_detect(img, len), VESSEL_IMAGE_PVH);
	CHECK_STR_EQ(vessel_image_format_name(VESSEL_IMAGE_PVH), "PVH ELF");
	/* Another Xen note type, or another name: a plain ELF64. */
	put32(img, PVH_NOTE_OFF + 48 + 8, XEN_ELFNOTE_PHYS32_ENTRY + 1);
	CHECK_EQ(vessel_image_detect(img, len), VESSEL_IMAGE_ELF64);
	build_pvh(8, PVH_ENTRY);
	memcpy(img + PVH_NOTE_OFF + 48 + 12, "Xe", 3);
	CHECK_EQ(vessel_image_detect(img, len), VESSEL_IMAGE_ELF64);
	/* A note running past its segment ends the scan, no more. */
	build_pvh(8, PVH_ENTRY);
	put32(img, PVH_NOTE_OFF + 4, 0x10000);
	CHECK_EQ(vessel_image_detect(img, len), VESSEL_IMAGE_ELF64);
}

static void test_pvh_loads(void)
{
	static uint8_t rd[MIB + 1];
	const struct vessel_load_module initrd = { "rd", rd, sizeof(rd), NULL };
	const struct vessel_load_opts opts = {
		.cmdline = "console=hvc0", .initrd = &initrd,
	};
	struct hvm_start_info si;
	uint64_t i, mm;
	size_t len = build_pvh(8, PVH_ENTRY);

	memset(rd, 0x77, sizeof(rd));
	CHECK_EQ(load(SMALL_RAM, len, &opts), 0);
	CHECK_EQ(boot.format, VESSEL_IMAGE_PVH);
	for (i = 0; i < PVH_SEG_SIZE; i++)
		if (ram[0x1000000 + i] != pm_byte(i))
			CHECK_EQ(i, ~0ULL);
	CHECK_EQ(ram[0x1000000 + PVH_SEG_SIZE + PVH_BSS - 1], 0);

	/* 32-bit flat protected mode, paging off, EBX = the start info. */
	CHECK_EQ(boot.mode, VESSEL_CPU_PROT32);
	CHECK_EQ(boot.rip, PVH_ENTRY);
	CHECK_EQ(boot.rbx, boot.linux_params);
	CHECK_EQ(boot.rflags, 2);
	CHECK_EQ(boot.cr0 & VESSEL_CR0_PG, 0);
	CHECK_EQ(boot.cr4, 0);
	CHECK_EQ(DESC_DB(boot.gdt[boot.cs / 8]), 1);
	CHECK_EQ(DESC_L(boot.gdt[boot.cs / 8]), 0);
	CHECK_EQ(DESC_LIMIT(boot.gdt[boot.cs / 8]), 0xfffff);
	CHECK_EQ(DESC_LIMIT(boot.gdt[boot.ds / 8]), 0xfffff);

	memcpy(&si, ram + boot.linux_params, sizeof(si));
	CHECK_EQ(si.magic, 0x336ec578);
	CHECK_EQ(si.version, 1);
	CHECK_EQ(si.flags, 0);
	CHECK_EQ(si.rsdp_paddr, 0);
	CHECK_STR_EQ(guest_str(si.cmdline_paddr), "console=hvc0");
	CHECK_EQ(si.nr_modules, 1);
	CHECK_EQ(guest64(si.modlist_paddr + 8), sizeof(rd));
	i = guest64(si.modlist_paddr);
	CHECK_EQ(i, (SMALL_RAM - sizeof(rd)) & ~0xfffULL);
	CHECK(!memcmp(ram + i, rd, sizeof(rd)));
	CHECK_EQ(guest64(si.modlist_paddr + 16), 0);	/* no command line */
	CHECK_EQ(si.memmap_entries, 3);
	for (mm = 0; mm < 3; mm++)
		CHECK_EQ(guest32(si.memmap_paddr + 24 * mm + 20), 0);
	{
		struct boot_e820_entry e[3];

		for (mm = 0; mm < 3; mm++) {
			e[mm].addr = guest64(si.memmap_paddr + 24 * mm);
			e[mm].size = guest64(si.memmap_paddr + 24 * mm + 8);
			e[mm].type = guest32(si.memmap_paddr + 24 * mm + 16);
		}
		check_memory_map(e, 3, SMALL_RAM);
	}

	CHECK_EQ(vessel_image_set_rsdp(ram, SMALL_RAM, &boot, 0xf0140), 0);
	memcpy(&si, ram + boot.linux_params, sizeof(si));
	CHECK_EQ(si.rsdp_paddr, 0xf0140);

	/* A 32-bit kernel's note has a 4-byte address; no initrd, none. */
	len = build_pvh(4, PVH_ENTRY);
	CHECK_EQ(load(SMALL_RAM, len, NULL), 0);
	CHECK_EQ(boot.rip, PVH_ENTRY);
	memcpy(&si, ram + boot.linux_params, sizeof(si));
	CHECK_EQ(si.nr_modules, 0);
	CHECK_EQ(si.modlist_paddr, 0);
	CHECK_STR_EQ(guest_str(si.cmdline_paddr), "");
}

static void test_pvh_refused(void)
{
	const struct vessel_load_opts pvh = { .format = VESSEL_IMAGE_PVH };
	const struct vessel_load_opts elf64 = { .format = VESSEL_IMAGE_ELF64 };
	size_t len = build_pvh(8, 0x100001000ULL);

	CHECK_EQ(vessel_image_detect(img, len), VESSEL_IMAGE_PVH);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), EINVAL,
			 "malformed PVH note: the entry point (Xen, XEN_ELFNOTE_PHYS32_ENTRY) is not a 32-bit address");
	len = build_pvh(2, PVH_ENTRY);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), EINVAL,
			 "malformed PVH note");
	/* The note's address must be in RAM. */
	len = build_pvh(8, 0x3000000);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), EINVAL,
			 "entry point 0x3000000 lies outside guest memory (32 MiB)");
	/* Forced PVH without the note; forced ELF64 ignores it. */
	len = build_pvh(8, PVH_ENTRY);
	put32(img, PVH_NOTE_OFF + 48 + 8, 99);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, &pvh), ENOEXEC,
			 "no PVH entry point: the ELF has no Xen note XEN_ELFNOTE_PHYS32_ENTRY");
	build_pvh(8, PVH_ENTRY);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, &elf64), EINVAL,
			 "entry point 0xffffffff81000000 lies outside guest memory");
	/* Segments are the ELF loader's to check, as for any ELF. */
	put64(img, sizeof(Elf64_Ehdr) + offsetof(Elf64_Phdr, p_offset),
	      0xffffffffffffff00ULL);
	CHECK_LOAD_FAILS(load(SMALL_RAM, len, NULL), EINVAL,
			 "lies beyond the end of the file");
	/* An initrd that does not fit. */
	{
		static uint8_t big[17 * MIB];
		const struct vessel_load_module rd = { "big", big, sizeof(big), NULL };
		const struct vessel_load_opts o = { .initrd = &rd };

		build_pvh(8, PVH_ENTRY);
		CHECK_LOAD_FAILS(load(SMALL_RAM, len, &o), ENOSPC,
				 "no room in guest memory (32 MiB) for the initrd 'big' (17 MiB)");
	}
}

/* ---- The real kernel ------------------------------------------------------ */

/* A whole file, or NULL; *len its size. */
static uint8_t *read_whole(const char *path, size_t *len)
{
	uint8_t *buf;
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return NULL;
	n = fseek(f, 0, SEEK_END) ? -1 : ftell(f);
	if (n <= 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return NULL;
	}
	buf = malloc(n);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static uint8_t *read_debian_kernel(size_t *len)
{
	glob_t g;
	uint8_t *buf = NULL;

	if (glob("../../.cache/kernel-*/boot/vmlinuz-*", 0, NULL, &g))
		return NULL;
	if (g.gl_pathc)
		buf = read_whole(g.gl_pathv[0], len);
	globfree(&g);
	return buf;
}

static void test_debian_bzimage(void)
{
	static uint8_t rd[2 * MIB];
	const struct vessel_load_module initrd = { "rd", rd, sizeof(rd), NULL };
	const struct vessel_load_opts opts = {
		.cmdline = "console=ttyS0", .initrd = &initrd,
	};
	const struct boot_params *bp;
	uint64_t setup, pm, init_size, footprint;
	size_t len = 0;
	uint8_t *k = read_debian_kernel(&len);
	int r;

	if (!k)
		TAP_SKIP("no .cache/kernel-*/boot/vmlinuz-*: run scripts/setup");
	CHECK_EQ(vessel_image_detect(k, len), VESSEL_IMAGE_BZIMAGE);
	memset(ram, 0, RAM_SIZE);
	r = load_img(k, RAM_SIZE, len, &opts);
	if (r) {
		free(k);
		CHECK_STR_EQ(err, "");
	}
	setup = (k[0x1f1] + 1) * 512ULL;
	pm = len - setup;
	memcpy(&init_size, k + OFF(init_size), 4);
	init_size &= 0xffffffff;
	footprint = init_size > pm ? init_size : pm;
	r = memcmp(ram + 0x1000000, k + setup, pm);
	free(k);
	CHECK_EQ(r, 0);
	CHECK_EQ(boot.rip, 0x1000000 + 0x200);
	CHECK_EQ(boot.image_end, 0x1000000 + footprint);
	bp = zero_page();
	CHECK(bp->hdr.version >= 0x020c);
	CHECK(bp->hdr.xloadflags & XLF_KERNEL_64);
	CHECK_EQ(bp->hdr.type_of_loader, 0xff);
	CHECK_STR_EQ(guest_str(bp->hdr.cmd_line_ptr), "console=ttyS0");
	CHECK(bp->hdr.ramdisk_image >= 0x1000000 + footprint);
	CHECK_EQ(bp->hdr.ramdisk_image + sizeof(rd) <= RAM_SIZE, 1);
	check_memory_map(bp->e820_table, bp->e820_entries, RAM_SIZE);

	/* 64 MiB is too little for this kernel's init_size: say so. */
	k = read_debian_kernel(&len);
	CHECK(k);
	r = load_img(k, 64 * MIB, len, NULL);
	free(k);
	CHECK_EQ(r, -ENOSPC);
	CHECK_CONTAINS(err, "the kernel needs guest memory up to");
	CHECK_CONTAINS(err, "but the guest has 64 MiB");
}

static void test_debian_vmlinux_pvh(void)
{
	size_t len = 0;
	uint8_t *k = read_whole("build/vmlinux", &len);
	struct hvm_start_info si;
	int r;

	if (!k)
		TAP_SKIP("no build/vmlinux: no pinned kernel to unpack (run scripts/setup)");
	CHECK_EQ(vessel_image_detect(k, len), VESSEL_IMAGE_PVH);
	memset(ram, 0, RAM_SIZE);
	r = load_img(k, RAM_SIZE, len, NULL);
	free(k);
	CHECK_STR_EQ(err, "");
	CHECK_EQ(r, 0);
	/* Linux's pvh_start_xen lies in the kernel's first megabytes. */
	CHECK(boot.rip >= 0x1000000 && boot.rip < 0x1000000 + 16 * MIB);
	CHECK_EQ(boot.mode, VESSEL_CPU_PROT32);
	memcpy(&si, ram + boot.rbx, sizeof(si));
	CHECK_EQ(si.magic, 0x336ec578);
	CHECK_EQ(si.memmap_entries, 3);
}

/* ---- Fuzzing -------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static const uint64_t interesting[] = {
	0, 1, 0x7f, 0xff, 0x200, 0x1000, 0xffff, 0x100000, 0x1000000,
	0x7fffffff, 0x80000000, 0xfffff000, 0xffffffff, 0x100000000ULL,
	UINT64_MAX,
};

/*
 * Mutants of a good image: most mutations land in the setup header (or,
 * for PVH, the ELF and note headers), some anywhere, some truncate. Each
 * either loads inside RAM or fails with one line and a known errno.
 */
static void fuzz(const uint8_t *base, size_t len, uint64_t hot,
		 unsigned int iterations, const struct vessel_load_opts *opts)
{
	static uint8_t mutant[IMG_MAX];
	unsigned int i, j;
	size_t mlen, off;
	uint64_t val;
	int ret;

	for (i = 0; i < iterations; i++) {
		memcpy(mutant, base, len);
		mlen = len;
		for (j = rng() % 4; j < 4 && mlen; j++) {
			off = rng() % 3 ? hot + rng() % 0x80 : rng() % mlen;
			val = interesting[rng() % ARRAY_SIZE(interesting)];
			switch (rng() % 5) {
			case 0:
				if (off < mlen)
					mutant[off] = rng();
				break;
			case 1:
				if (off + 4 <= mlen)
					put32(mutant, off, val);
				break;
			case 2:
				if (off + 8 <= mlen)
					put64(mutant, off, val);
				break;
			case 3:
				if (off < mlen)
					mutant[off] ^= 1 << (rng() % 8);
				break;
			default:
				if (off < mlen)
					mlen = off;
				break;
			}
		}
		err[0] = '\0';
		ret = vessel_image_load(ram, SMALL_RAM, mutant, mlen, opts,
					&boot, err, sizeof(err));
		if (!ret && boot.rip < SMALL_RAM && boot.image_end <= SMALL_RAM)
			continue;
		if (ret < 0 && err[0] && !strchr(err, '\n') &&
		    (ret == -EINVAL || ret == -ENOEXEC || ret == -ENOSPC))
			continue;
		tap_diag(__FILE__, __LINE__,
			 "iteration %u: ret %d, rip 0x%" PRIx64 ", err \"%s\"",
			 i, ret, boot.rip, err);
		return;
	}
}

static void test_fuzz_bzimage(void)
{
	static uint8_t base[IMG_MAX], rd[4096];
	const struct vessel_load_module initrd = { "rd", rd, sizeof(rd), NULL };
	const struct vessel_load_opts opts = { .cmdline = "x", .initrd = &initrd };
	size_t len;

	rng_state = 0x5eed0013;
	len = build_bzimage(0x020f);
	memcpy(base, img, len);
	fuzz(base, len, 0x1f0, 20000, &opts);
}

static void test_fuzz_pvh(void)
{
	static uint8_t base[IMG_MAX], rd[4096];
	const struct vessel_load_module initrd = { "rd", rd, sizeof(rd), NULL };
	const struct vessel_load_opts opts = { .cmdline = "x", .initrd = &initrd };
	size_t len;

	rng_state = 0x5eed0014;
	len = build_pvh(8, PVH_ENTRY);
	memcpy(base, img, len);
	fuzz(base, len, PVH_NOTE_OFF, 10000, &opts);
	fuzz(base, len, 0, 10000, &opts);
}

int main(void)
{
	static const struct tap_test tests[] = {
		TAP_TEST(test_bzimage_detect),
		TAP_TEST(test_bzimage_loads_64bit_protocol),
		TAP_TEST(test_bzimage_placement),
		TAP_TEST(test_bzimage_initrd),
		TAP_TEST(test_bzimage_cmdline_size),
		TAP_TEST(test_bzimage_rsdp),
		TAP_TEST(test_bzimage_old_protocol),
		TAP_TEST(test_bzimage_wrong_magic),
		TAP_TEST(test_bzimage_truncated),
		TAP_TEST(test_bzimage_outside_file),
		TAP_TEST(test_bzimage_bad_placement),
		TAP_TEST(test_linux_options),
		TAP_TEST(test_pvh_detect),
		TAP_TEST(test_pvh_loads),
		TAP_TEST(test_pvh_refused),
		TAP_TEST(test_debian_bzimage),
		TAP_TEST(test_debian_vmlinux_pvh),
		TAP_TEST(test_fuzz_bzimage),
		TAP_TEST(test_fuzz_pvh),
	};
	int r;

	ram = calloc(1, RAM_SIZE);
	if (!ram)
		return 1;
	r = tap_run(tests, TAP_COUNT(tests));
	free(ram);
	return r;
}
