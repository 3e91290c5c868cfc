// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the image loaders, page tables and GDT.
 *
 * Every image is generated in memory here (ELF from <elf.h> structs,
 * multiboot headers by hand), so nothing binary is checked in and each test
 * states exactly which byte makes an image bad.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>

#include "boot/boot.h"
#include "boot/loader.h"
#include "boot/pagetable.h"
#include "tap.h"

#define KIB		1024ULL
#define MIB		(1024 * KIB)
#define GIB		(1024 * MIB)
#define RAM_SIZE	(16 * MIB)
#define FUZZ_RAM_SIZE	(4 * MIB)
#define IMG_MAX		(64 * KIB)

#define KERNEL_BASE	0x100000ULL
#define SEG_DATA_OFF	0x1000ULL	/* file offset of the first segment */

#define MB_PAGE_ALIGN	(1U << 0)
#define MB_MEMORY_INFO	(1U << 1)
#define MB_VIDEO_MODE	(1U << 2)
#define MB_AOUT_KLUDGE	(1U << 16)

static uint8_t ram[RAM_SIZE];
static uint8_t img[IMG_MAX];
static char err[256];
static struct vessel_boot boot;

#include "image_build.h"

struct seg {
	uint64_t paddr;
	uint64_t filesz;
	uint64_t memsz;
};

/* ---- Helpers ------------------------------------------------------------ */

static uint8_t seg_byte(unsigned int seg, uint64_t i)
{
	return 0x11 * (seg + 1) + i;
}

static int load(uint64_t ram_size, size_t len,
		const struct vessel_load_opts *opts)
{
	return vessel_image_load(ram, ram_size, img, len, opts, &boot, err,
				 sizeof(err));
}

/* A load must fail with exactly @errnum and a message containing @text. */
#define CHECK_LOAD_FAILS(ret, errnum, text)				\
	do {								\
		CHECK_EQ((ret), -(errnum));				\
		CHECK_CONTAINS(err, (text));				\
	} while (0)

static uint64_t phdr_off(int class, unsigned int i)
{
	if (class == ELFCLASS32)
		return sizeof(Elf32_Ehdr) + i * sizeof(Elf32_Phdr);
	return sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr);
}

static void put_phdr(int class, unsigned int i, uint64_t off,
		     const struct seg *s)
{
	Elf32_Phdr p32 = {
		.p_type = PT_LOAD, .p_offset = off, .p_vaddr = s->paddr,
		.p_paddr = s->paddr, .p_filesz = s->filesz,
		.p_memsz = s->memsz, .p_flags = PF_R | PF_W | PF_X,
		.p_align = 0x1000,
	};
	Elf64_Phdr p64 = {
		.p_type = PT_LOAD, .p_offset = off, .p_vaddr = s->paddr,
		.p_paddr = s->paddr, .p_filesz = s->filesz,
		.p_memsz = s->memsz, .p_flags = PF_R | PF_W | PF_X,
		.p_align = 0x1000,
	};

	if (class == ELFCLASS32)
		memcpy(img + phdr_off(class, i), &p32, sizeof(p32));
	else
		memcpy(img + phdr_off(class, i), &p64, sizeof(p64));
}

/*
 * An x86 ELF executable in img[]: headers, then each segment's file bytes
 * (seg_byte pattern) from SEG_DATA_OFF on, 16-byte aligned. Returns length.
 */
static size_t build_elf(int class, uint64_t entry, const struct seg *segs,
			unsigned int nr)
{
	Elf32_Ehdr e32 = {
		.e_type = ET_EXEC, .e_machine = EM_386,
		.e_version = EV_CURRENT, .e_entry = entry,
		.e_phoff = sizeof(Elf32_Ehdr), .e_ehsize = sizeof(Elf32_Ehdr),
		.e_phentsize = sizeof(Elf32_Phdr), .e_phnum = nr,
	};
	Elf64_Ehdr e64 = {
		.e_type = ET_EXEC, .e_machine = EM_X86_64,
		.e_version = EV_CURRENT, .e_entry = entry,
		.e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = nr,
	};
	uint64_t off = SEG_DATA_OFF, i, j;
	unsigned char *ident = class == ELFCLASS32 ? e32.e_ident : e64.e_ident;

	memset(img, 0, sizeof(img));
	memcpy(ident, ELFMAG, SELFMAG);
	ident[EI_CLASS] = class;
	ident[EI_DATA] = ELFDATA2LSB;
	ident[EI_VERSION] = EV_CURRENT;
	if (class == ELFCLASS32)
		memcpy(img, &e32, sizeof(e32));
	else
		memcpy(img, &e64, sizeof(e64));

	for (i = 0; i < nr; i++) {
		put_phdr(class, i, off, &segs[i]);
		for (j = 0; j < segs[i].filesz; j++)
			img[off + j] = seg_byte(i, j);
		off += (segs[i].filesz + 15) & ~15ULL;
	}
	return off;
}

/* Kernel-style ELF: a code segment and a data segment with bss. */
static const struct seg elf_segs[] = {
	{ KERNEL_BASE, 0x1800, 0x1800 },
	{ KERNEL_BASE + 0x2000, 0x100, 0x3000 },
};

#define ELF_ENTRY	(KERNEL_BASE + 0x40)

static size_t build_kernel_elf(int class)
{
	return build_elf(class, ELF_ENTRY, elf_segs, 2);
}

/* @aout holds header_addr, load_addr, load_end, bss_end, entry, or NULL. */
static void put_mb_header(uint64_t off, uint32_t flags, const uint32_t *aout)
{
	unsigned int i;

	put32(img, off, VESSEL_MULTIBOOT_HEADER_MAGIC);
	put32(img, off + 4, flags);
	put32(img, off + 8, -(VESSEL_MULTIBOOT_HEADER_MAGIC + flags));
	for (i = 0; aout && i < 5; i++)
		put32(img, off + 12 + 4 * i, aout[i]);
}

/* A multiboot ELF32 kernel whose header opens its first segment. */
static size_t build_multiboot_elf(uint32_t flags)
{
	size_t len = build_kernel_elf(ELFCLASS32);

	put_mb_header(SEG_DATA_OFF, flags, NULL);
	return len;
}

#define AOUT_HDR_OFF	0x40
#define AOUT_LEN	0x3000
#define AOUT_BSS	0x2000
#define AOUT_ENTRY	(KERNEL_BASE + 0x100)

/* A non-ELF multiboot kernel: the header's a.out fields say where it goes. */
static size_t build_multiboot_aout(void)
{
	const uint32_t aout[5] = {
		KERNEL_BASE + AOUT_HDR_OFF, KERNEL_BASE, 0,
		KERNEL_BASE + AOUT_LEN + AOUT_BSS, AOUT_ENTRY,
	};
	size_t i;

	for (i = 0; i < AOUT_LEN; i++)
		img[i] = seg_byte(7, i);
	put_mb_header(AOUT_HDR_OFF, MB_PAGE_ALIGN | MB_MEMORY_INFO |
		      MB_AOUT_KLUDGE, aout);
	return AOUT_LEN;
}

#define CHECK_IDENTITY(cr3, va)						\
	do {								\
		uint64_t pa_ = ~0ULL;					\
		CHECK(translate((cr3), (va), &pa_));			\
		CHECK_EQ(pa_, (va));					\
	} while (0)

/* The boot data the loader placed must not overlap the image. */
#define CHECK_CLEAR_OF_IMAGE(gpa, size)					\
	CHECK(!overlaps((gpa), (size), boot.image_start,		\
			boot.image_end - boot.image_start))

/* ---- Detection ---------------------------------------------------------- */

static void test_detect(void)
{
	size_t len;

	len = build_kernel_elf(ELFCLASS32);
	CHECK_EQ(vessel_image_detect(img, len), VESSEL_IMAGE_ELF32);
	len = build_kernel_elf(ELFCLASS64);
	CHECK_EQ(vessel_image_detect(img, len), VESSEL_IMAGE_ELF64);
	len = build_multiboot_elf(MB_PAGE_ALIGN);
	CHECK_EQ(vessel_image_detect(img, len), VESSEL_IMAGE_MULTIBOOT);
	memset(img, 0x90, 512);
	CHECK_EQ(vessel_image_detect(img, 512), VESSEL_IMAGE_AUTO);
	CHECK_EQ(vessel_image_detect(img, 0), VESSEL_IMAGE_AUTO);
	memcpy(img, ELFMAG, SELFMAG);
	CHECK_EQ(vessel_image_detect(img, SELFMAG), VESSEL_IMAGE_AUTO);
	CHECK_STR_EQ(vessel_image_format_name(VESSEL_IMAGE_MULTIBOOT),
		     "multiboot");
}

static void test_auto_refuses_unknown(void)
{
	memset(img, 0x90, 512);
	CHECK_LOAD_FAILS(load(RAM_SIZE, 512, NULL), ENOEXEC,
			 "not an ELF, multiboot or Linux bzImage image");
	CHECK_LOAD_FAILS(load(RAM_SIZE, 0, NULL), EINVAL, "image is empty");
}

/* ---- Flat binaries ------------------------------------------------------- */

static void test_flat_loads_real_mode(void)
{
	struct vessel_load_opts opts = { .format = VESSEL_IMAGE_FLAT };
	size_t i;

	for (i = 0; i < 0x9000; i++)
		img[i] = seg_byte(3, i);
	CHECK_EQ(load(RAM_SIZE, 0x9000, &opts), 0);
	CHECK(!memcmp(ram + VESSEL_FLAT_LOAD_ADDR, img, 0x9000));
	CHECK_EQ(boot.format, VESSEL_IMAGE_FLAT);
	CHECK_EQ(boot.mode, VESSEL_CPU_REAL16);
	CHECK_EQ(boot.cs, 0x1000);
	CHECK_EQ(boot.ds, 0x1000);
	CHECK_EQ(boot.rip, 0);
	/* The stack grows down from below the image, never into it. */
	CHECK(boot.ss * 16 + boot.rsp <= VESSEL_FLAT_LOAD_ADDR);
	CHECK(boot.ss * 16 + boot.rsp > 0x1000);
	CHECK_EQ(boot.image_start, 0x10000);
	CHECK_EQ(boot.image_end, 0x19000);
	CHECK_EQ(boot.rflags, 2);
}

static void test_flat_too_big(void)
{
	struct vessel_load_opts opts = { .format = VESSEL_IMAGE_FLAT };

	CHECK_LOAD_FAILS(load(VESSEL_FLAT_LOAD_ADDR + 0x1000, 0x1001, &opts),
			 ENOSPC, "flat binary (0x10000+0x1001) lies outside guest memory (68 KiB)");
}

static void test_flat_refuses_cmdline(void)
{
	struct vessel_load_opts opts = {
		.format = VESSEL_IMAGE_FLAT, .cmdline = "quiet",
	};

	CHECK_LOAD_FAILS(load(RAM_SIZE, 16, &opts), EINVAL,
			 "needs a multiboot or Linux image, not flat binary");
}

/* ---- ELF ----------------------------------------------------------------- */

/* Checks shared by both classes: segments copied, bss zeroed, stack placed. */
static void check_elf_loaded(void)
{
	uint64_t i;

	for (i = 0; i < elf_segs[0].filesz; i++)
		CHECK_EQ(ram[KERNEL_BASE + i], seg_byte(0, i));
	for (i = 0; i < elf_segs[1].filesz; i++)
		CHECK_EQ(ram[elf_segs[1].paddr + i], seg_byte(1, i));
	for (; i < elf_segs[1].memsz; i++)
		CHECK_EQ(ram[elf_segs[1].paddr + i], 0);
	CHECK_EQ(boot.image_start, KERNEL_BASE);
	CHECK_EQ(boot.image_end, elf_segs[1].paddr + elf_segs[1].memsz);
	CHECK_EQ(boot.rip, ELF_ENTRY);
	CHECK_EQ(boot.ds, VESSEL_GDT_SEL_DATA);
	CHECK_EQ(boot.ss, VESSEL_GDT_SEL_DATA);
	CHECK_EQ(boot.gdt_limit, VESSEL_GDT_SIZE - 1);
	CHECK_EQ(guest64(boot.gdt_base + boot.cs),
		 vessel_gdt_descriptor(boot.cs));
	CHECK_CLEAR_OF_IMAGE(boot.gdt_base, VESSEL_GDT_SIZE);
	CHECK_CLEAR_OF_IMAGE(boot.rsp - VESSEL_BOOT_STACK_SIZE,
			     VESSEL_BOOT_STACK_SIZE);
	CHECK(!overlaps(boot.gdt_base, VESSEL_GDT_SIZE,
			boot.rsp - VESSEL_BOOT_STACK_SIZE,
			VESSEL_BOOT_STACK_SIZE));
	CHECK(boot.gdt_base >= VESSEL_PAGE_SIZE);
}

static void test_elf32_loads_protected_mode(void)
{
	size_t len = build_kernel_elf(ELFCLASS32);

	/* Dirty RAM shows whether the bss really gets zeroed. */
	memset(ram, 0xaa, 2 * MIB);
	CHECK_EQ(load(RAM_SIZE, len, NULL), 0);
	check_elf_loaded();
	CHECK_EQ(boot.format, VESSEL_IMAGE_ELF32);
	CHECK_EQ(boot.mode, VESSEL_CPU_PROT32);
	CHECK_EQ(boot.cs, VESSEL_GDT_SEL_CODE32);
	CHECK_EQ(boot.cr0, VESSEL_CR0_PE | VESSEL_CR0_ET);
	CHECK_EQ(boot.cr3, 0);
	CHECK_EQ(boot.efer, 0);
	CHECK_EQ(boot.rax, 0);
}

static void test_elf64_loads_long_mode(void)
{
	size_t len = build_kernel_elf(ELFCLASS64);
	uint64_t pt_size = vessel_pagetable_size(4 * GIB);

	memset(ram, 0xaa, 2 * MIB);
	CHECK_EQ(load(RAM_SIZE, len, NULL), 0);
	check_elf_loaded();
	CHECK_EQ(boot.format, VESSEL_IMAGE_ELF64);
	CHECK_EQ(boot.mode, VESSEL_CPU_LONG64);
	CHECK_EQ(boot.cs, VESSEL_GDT_SEL_CODE64);
	CHECK(boot.cr0 & VESSEL_CR0_PG);
	CHECK(boot.cr4 & VESSEL_CR4_PAE);
	CHECK_EQ(boot.efer, VESSEL_EFER_LME | VESSEL_EFER_LMA);
	CHECK_EQ(boot.cr3 % VESSEL_PAGE_SIZE, 0);
	CHECK_CLEAR_OF_IMAGE(boot.cr3, pt_size);
	CHECK(!overlaps(boot.cr3, pt_size, boot.gdt_base, VESSEL_GDT_SIZE));
	CHECK_IDENTITY(boot.cr3, ELF_ENTRY);
	CHECK_IDENTITY(boot.cr3, boot.rsp - 8);
	CHECK_IDENTITY(boot.cr3, 4 * GIB - 1);
}

static void test_elf_forced_class_mismatch(void)
{
	struct vessel_load_opts opts = { .format = VESSEL_IMAGE_ELF32 };
	size_t len = build_kernel_elf(ELFCLASS64);

	CHECK_LOAD_FAILS(load(RAM_SIZE, len, &opts), ENOEXEC,
			 "image is ELF64, not ELF32");
}

static void test_elf_bad_magic(void)
{
	struct vessel_load_opts opts = { .format = VESSEL_IMAGE_ELF64 };
	size_t len = build_kernel_elf(ELFCLASS64);

	img[1] = 'e';
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, &opts), ENOEXEC,
			 "not an ELF image");
}

static void test_elf_bad_class(void)
{
	size_t len = build_kernel_elf(ELFCLASS64);

	img[EI_CLASS] = 7;
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), ENOEXEC,
			 "unsupported ELF class 7");
}

static void test_elf_big_endian(void)
{
	size_t len = build_kernel_elf(ELFCLASS32);

	img[EI_DATA] = ELFDATA2MSB;
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), ENOEXEC,
			 "not little-endian");
}

static void test_elf_truncated_header(void)
{
	build_kernel_elf(ELFCLASS64);
	CHECK_LOAD_FAILS(load(RAM_SIZE, sizeof(Elf64_Ehdr) - 1, NULL), EINVAL,
			 "truncated ELF header");
}

static void test_elf_truncated_phdrs(void)
{
	build_kernel_elf(ELFCLASS32);
	CHECK_LOAD_FAILS(load(RAM_SIZE, phdr_off(ELFCLASS32, 1) + 4, NULL),
			 EINVAL, "truncated ELF program header table");
}

static void test_elf_phoff_overflow(void)
{
	size_t len = build_kernel_elf(ELFCLASS64);

	put64(img, offsetof(Elf64_Ehdr, e_phoff), UINT64_MAX - 8);
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), EINVAL,
			 "truncated ELF program header table");
}

static void test_elf_unsupported_machine(void)
{
	size_t len = build_kernel_elf(ELFCLASS32);

	img[offsetof(Elf32_Ehdr, e_machine)] = EM_ARM;
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), ENOEXEC,
			 "unsupported ELF machine type 40 (ELF32 images must be EM_386)");
	/* The right machine in the wrong class is just as unsupported. */
	len = build_kernel_elf(ELFCLASS64);
	img[offsetof(Elf64_Ehdr, e_machine)] = EM_386;
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), ENOEXEC,
			 "unsupported ELF machine type 3 (ELF64 images must be EM_X86_64)");
}

static void test_elf_not_executable(void)
{
	size_t len = build_kernel_elf(ELFCLASS64);

	img[offsetof(Elf64_Ehdr, e_type)] = ET_DYN;
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), ENOEXEC,
			 "ELF type 3 is not an executable");
}

static void test_elf_no_phdrs(void)
{
	size_t len = build_kernel_elf(ELFCLASS64);

	img[offsetof(Elf64_Ehdr, e_phnum)] = 0;
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), EINVAL,
			 "no program headers");
	len = build_kernel_elf(ELFCLASS64);
	img[offsetof(Elf64_Ehdr, e_phentsize)] = 8;
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), EINVAL,
			 "program header size 8 is too small");
}

static void test_elf_no_load_segments(void)
{
	size_t len = build_kernel_elf(ELFCLASS32);

	put32(img, phdr_off(ELFCLASS32, 0), PT_NOTE);
	put32(img, phdr_off(ELFCLASS32, 1), PT_NULL);
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), EINVAL,
			 "no loadable segments");
}

static void test_elf_offset_overflow(void)
{
	size_t len = build_kernel_elf(ELFCLASS64);
	uint64_t ph = phdr_off(ELFCLASS64, 1);

	/* p_offset + p_filesz wraps to a small number in 64 bits. */
	put64(img, ph + offsetof(Elf64_Phdr, p_offset), UINT64_MAX - 0x10);
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), EINVAL,
			 "segment 1 (file offset 0xffffffffffffffef+0x100) lies beyond the end of the file");
}

static void test_elf_filesz_past_eof(void)
{
	size_t len = build_kernel_elf(ELFCLASS32);
	uint64_t ph = phdr_off(ELFCLASS32, 1);

	put32(img, ph + offsetof(Elf32_Phdr, p_filesz), 0x2000);
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), EINVAL,
			 "lies beyond the end of the file");
}

static void test_elf_filesz_exceeds_memsz(void)
{
	size_t len = build_kernel_elf(ELFCLASS32);
	uint64_t ph = phdr_off(ELFCLASS32, 0);

	put32(img, ph + offsetof(Elf32_Phdr, p_memsz), 0x10);
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), EINVAL,
			 "segment 0: file size 0x1800 exceeds memory size 0x10");
}

static void test_elf64_paddr_wraps(void)
{
	size_t len = build_kernel_elf(ELFCLASS64);
	uint64_t ph = phdr_off(ELFCLASS64, 1);

	put64(img, ph + offsetof(Elf64_Phdr, p_paddr), 0xfffffffffffff000ULL);
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), EINVAL,
			 "segment 1 (0xfffffffffffff000+0x3000) wraps around the 64-bit address space");
}

static void test_elf32_paddr_wraps(void)
{
	size_t len = build_kernel_elf(ELFCLASS32);
	uint64_t ph = phdr_off(ELFCLASS32, 1);

	put32(img, ph + offsetof(Elf32_Phdr, p_paddr), 0xfffff000U);
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), EINVAL,
			 "segment 1 (0xfffff000+0x3000) wraps around the 32-bit address space");
}

static void test_elf_segment_past_ram(void)
{
	const struct seg segs[] = {
		{ KERNEL_BASE, 0x100, 0x100 },
		{ RAM_SIZE - 0x800, 0x100, 0x1000 },
	};
	size_t len = build_elf(ELFCLASS64, KERNEL_BASE, segs, 2);

	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), ENOSPC,
			 "segment 1 (0xfff800+0x1000) lies outside guest memory (16 MiB)");
}

static void test_elf_entry_outside_ram(void)
{
	size_t len = build_elf(ELFCLASS32, RAM_SIZE, elf_segs, 2);

	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), EINVAL,
			 "entry point 0x1000000 lies outside guest memory (16 MiB)");
}

static void test_elf_no_room_for_boot_data(void)
{
	/* One segment covering all of a tiny RAM leaves nowhere for boot data. */
	const struct seg segs[] = { { 0, 0x100, 2 * MIB } };
	size_t len = build_elf(ELFCLASS64, 0, segs, 1);

	CHECK_LOAD_FAILS(load(2 * MIB, len, NULL), ENOSPC,
			 "no room in guest memory (2 MiB) for the GDT (32 bytes)");
}

/* ---- Multiboot ------------------------------------------------------------ */

static void check_mb_module(uint64_t entry, const struct vessel_load_module *m,
			    uint64_t mbi)
{
	uint64_t start = guest32(entry), end = guest32(entry + 4);

	CHECK_EQ(start % VESSEL_PAGE_SIZE, 0);
	CHECK_EQ(end - start, m->size);
	CHECK(start >= boot.image_end);
	CHECK(!memcmp(ram + start, m->data, m->size));
	CHECK_STR_EQ(guest_str(guest32(entry + 8)), m->cmdline ? m->cmdline : "");
	CHECK(!overlaps(start, m->size, mbi, 116));
}

static void check_mb_mmap(uint64_t entry, uint64_t base, uint64_t len,
			  uint32_t type)
{
	CHECK_EQ(guest32(entry), 20);
	CHECK_EQ(guest64(entry + 4), base);
	CHECK_EQ(guest64(entry + 12), len);
	CHECK_EQ(guest32(entry + 20), type);
}

static void test_multiboot_elf(void)
{
	static uint8_t blob[5000];
	static const char initrd[] = "initrd contents";
	const struct vessel_load_module mods[] = {
		{ "initrd", initrd, sizeof(initrd), "initrd arg=1" },
		{ "blob", blob, sizeof(blob), NULL },
	};
	const struct vessel_load_opts opts = {
		.cmdline = "console=ttyS0 quiet", .modules = mods,
		.nr_modules = 2,
	};
	size_t len = build_multiboot_elf(MB_PAGE_ALIGN | MB_MEMORY_INFO);
	uint64_t mbi, mods_addr, mmap;

	memset(blob, 0x5a, sizeof(blob));
	CHECK_EQ(load(RAM_SIZE, len, &opts), 0);
	CHECK_EQ(boot.format, VESSEL_IMAGE_MULTIBOOT);
	CHECK_EQ(boot.mode, VESSEL_CPU_PROT32);
	CHECK_EQ(boot.cs, VESSEL_GDT_SEL_CODE32);
	CHECK_EQ(boot.rip, ELF_ENTRY);
	CHECK_EQ(boot.rax, VESSEL_MULTIBOOT_BOOT_MAGIC);
	mbi = boot.rbx;
	CHECK_CLEAR_OF_IMAGE(mbi, 116);
	CHECK(mbi >= VESSEL_PAGE_SIZE);

	/* flags: mem, cmdline, mods, mmap, boot loader name */
	CHECK_EQ(guest32(mbi), (1 << 0) | (1 << 2) | (1 << 3) | (1 << 6) |
		 (1 << 9));
	CHECK_EQ(guest32(mbi + 4), 640);
	CHECK_EQ(guest32(mbi + 8), (RAM_SIZE - MIB) / KIB);
	CHECK_STR_EQ(guest_str(guest32(mbi + 16)), "console=ttyS0 quiet");
	CHECK_STR_EQ(guest_str(guest32(mbi + 64)), "vessel");

	CHECK_EQ(guest32(mbi + 20), 2);
	mods_addr = guest32(mbi + 24);
	check_mb_module(mods_addr, &mods[0], mbi);
	check_mb_module(mods_addr + 16, &mods[1], mbi);
	CHECK(!overlaps(guest32(mods_addr), sizeof(initrd),
			guest32(mods_addr + 16), sizeof(blob)));

	CHECK_EQ(guest32(mbi + 44), 3 * 24);
	mmap = guest32(mbi + 48);
	check_mb_mmap(mmap, 0, 640 * KIB, 1);
	check_mb_mmap(mmap + 24, 640 * KIB, 384 * KIB, 2);
	check_mb_mmap(mmap + 48, MIB, RAM_SIZE - MIB, 1);
}

static void test_multiboot_aout_kludge(void)
{
	size_t len = build_multiboot_aout(), i;

	memset(ram, 0xaa, 2 * MIB);
	CHECK_EQ(vessel_image_detect(img, len), VESSEL_IMAGE_MULTIBOOT);
	CHECK_EQ(load(RAM_SIZE, len, NULL), 0);
	CHECK(!memcmp(ram + KERNEL_BASE, img, AOUT_LEN));
	for (i = 0; i < AOUT_BSS; i++)
		CHECK_EQ(ram[KERNEL_BASE + AOUT_LEN + i], 0);
	CHECK_EQ(boot.rip, AOUT_ENTRY);
	CHECK_EQ(boot.rax, VESSEL_MULTIBOOT_BOOT_MAGIC);
	CHECK_EQ(boot.image_end, KERNEL_BASE + AOUT_LEN + AOUT_BSS);
	CHECK_EQ(guest32(boot.rbx + 20), 0);	/* no modules */
	CHECK_STR_EQ(guest_str(guest32(boot.rbx + 16)), "");
}

/* Below 1 MiB there is no upper memory, and the map says so. */
static void test_multiboot_small_ram(void)
{
	const uint32_t aout[5] = { 0x20000, 0x20000, 0x21000, 0, 0x20020 };
	size_t len = 0x1000;

	memset(img, 0, len);
	put_mb_header(0, MB_AOUT_KLUDGE, aout);
	CHECK_EQ(load(512 * KIB, len, NULL), 0);
	CHECK_EQ(guest32(boot.rbx + 4), 512);
	CHECK_EQ(guest32(boot.rbx + 8), 0);
	CHECK_EQ(guest32(boot.rbx + 44), 24);
	check_mb_mmap(guest32(boot.rbx + 48), 0, 512 * KIB, 1);
}

static void test_multiboot_priority_and_forced_elf(void)
{
	struct vessel_load_opts opts = { .format = VESSEL_IMAGE_ELF32 };
	size_t len = build_multiboot_elf(MB_PAGE_ALIGN);

	CHECK_EQ(load(RAM_SIZE, len, NULL), 0);
	CHECK_EQ(boot.format, VESSEL_IMAGE_MULTIBOOT);
	/* Asked for plain ELF, the header is ignored. */
	CHECK_EQ(load(RAM_SIZE, len, &opts), 0);
	CHECK_EQ(boot.format, VESSEL_IMAGE_ELF32);
	CHECK_EQ(boot.rax, 0);
}

static void test_multiboot_bad_checksum(void)
{
	struct vessel_load_opts opts = { .format = VESSEL_IMAGE_MULTIBOOT };
	size_t len = build_multiboot_aout();

	put32(img, AOUT_HDR_OFF + 8, 0x12345678);
	CHECK_EQ(vessel_image_detect(img, len), VESSEL_IMAGE_AUTO);
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, &opts), EINVAL,
			 "multiboot header at offset 0x40 has a bad checksum");
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), ENOEXEC,
			 "not an ELF, multiboot or Linux bzImage image");
}

static void test_multiboot_header_beyond_8k(void)
{
	struct vessel_load_opts opts = { .format = VESSEL_IMAGE_MULTIBOOT };
	size_t len = 3 * VESSEL_MULTIBOOT_SEARCH;

	memset(img, 0, len);
	put_mb_header(VESSEL_MULTIBOOT_SEARCH, MB_AOUT_KLUDGE, NULL);
	CHECK_EQ(vessel_image_detect(img, len), VESSEL_IMAGE_AUTO);
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, &opts), ENOEXEC,
			 "no multiboot header in the first 8192 bytes");
	/* Straddling the boundary counts as beyond it. */
	memset(img, 0, len);
	put_mb_header(VESSEL_MULTIBOOT_SEARCH - 8, MB_AOUT_KLUDGE, NULL);
	CHECK_EQ(vessel_image_detect(img, len), VESSEL_IMAGE_AUTO);
}

static void test_multiboot_truncated_header(void)
{
	struct vessel_load_opts opts = { .format = VESSEL_IMAGE_MULTIBOOT };

	memset(img, 0, 64);
	put_mb_header(16, MB_AOUT_KLUDGE, NULL);
	CHECK_LOAD_FAILS(load(RAM_SIZE, 16 + 12, &opts), EINVAL,
			 "multiboot header at offset 0x10 is truncated");
}

static void test_multiboot_refuses_requirements(void)
{
	size_t len = build_multiboot_elf(MB_PAGE_ALIGN | MB_VIDEO_MODE);

	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), ENOEXEC,
			 "requires video mode information (flag bit 2)");
	len = build_multiboot_elf(MB_MEMORY_INFO | (1U << 5));
	CHECK_LOAD_FAILS(load(RAM_SIZE, len, NULL), ENOEXEC,
			 "requires unsupported features (flags 0x20)");
	/* Bits 16-31 are optional: an unknown one is ignored. */
	len = build_multiboot_elf(MB_MEMORY_INFO | (1U << 20));
	CHECK_EQ(load(RAM_SIZE, len, NULL), 0);
}

static void test_multiboot_aout_bad_addresses(void)
{
	const uint32_t load_above_header[5] = {
		KERNEL_BASE, KERNEL_BASE + 0x1000, 0, 0, KERNEL_BASE,
	};
	const uint32_t header_before_file[5] = {
		KERNEL_BASE + 0x1000, KERNEL_BASE, 0, 0, KERNEL_BASE,
	};
	const uint32_t end_below_start[5] = {
		KERNEL_BASE + AOUT_HDR_OFF, KERNEL_BASE, KERNEL_BASE - 1, 0,
		KERNEL_BASE,
	};
	const uint32_t bss_below_end[5] = {
		KERNEL_BASE + AOUT_HDR_OFF, KERNEL_BASE, KERNEL_BASE + 0x100,
		KERNEL_BASE + 0x80, KERNEL_BASE,
	};
	const uint32_t past_eof[5] = {
		KERNEL_BASE + AOUT_HDR_OFF, KERNEL_BASE,
		KERNEL_BASE + AOUT_LEN + 1, 0, KERNEL_BASE,
	};
	const uint32_t flags = MB_AOUT_KLUDGE;

	build_multiboot_aout();
	put_mb_header(AOUT_HDR_OFF, flags, load_above_header);
	CHECK_LOAD_FAILS(load(RAM_SIZE, AOUT_LEN, NULL), EINVAL,
			 "multiboot load_addr 0x101000 does not fit header_addr 0x100000");
	put_mb_header(AOUT_HDR_OFF, flags, header_before_file);
	CHECK_LOAD_FAILS(load(RAM_SIZE, AOUT_LEN, NULL), EINVAL,
			 "does not fit header_addr 0x101000 at file offset 0x40");
	put_mb_header(AOUT_HDR_OFF, flags, end_below_start);
	CHECK_LOAD_FAILS(load(RAM_SIZE, AOUT_LEN, NULL), EINVAL,
			 "load_end_addr 0xfffff is below load_addr 0x100000");
	put_mb_header(AOUT_HDR_OFF, flags, bss_below_end);
	CHECK_LOAD_FAILS(load(RAM_SIZE, AOUT_LEN, NULL), EINVAL,
			 "bss_end_addr 0x100080 is below");
	put_mb_header(AOUT_HDR_OFF, flags, past_eof);
	CHECK_LOAD_FAILS(load(RAM_SIZE, AOUT_LEN, NULL), EINVAL,
			 "multiboot image (file offset 0x0+0x3001) lies beyond the end of the file");
}

/*
 * An a.out kludge whose load_end_addr is its load_addr and which has no
 * bss loads nothing: refused as an ELF without loadable segments is, not
 * started with an empty image (found by tests/fuzz/fuzz_loader: the load
 * succeeded with image_start above image_end).
 */
static void test_multiboot_aout_nothing_to_load(void)
{
	const uint32_t empty[5] = {
		KERNEL_BASE + AOUT_HDR_OFF, KERNEL_BASE, KERNEL_BASE, 0,
		KERNEL_BASE,
	};
	const uint32_t bss_only[5] = {
		KERNEL_BASE + AOUT_HDR_OFF, KERNEL_BASE, KERNEL_BASE,
		KERNEL_BASE + 0x1000, KERNEL_BASE,
	};

	build_multiboot_aout();
	put_mb_header(AOUT_HDR_OFF, MB_AOUT_KLUDGE, empty);
	CHECK_LOAD_FAILS(load(RAM_SIZE, AOUT_LEN, NULL), EINVAL,
			 "multiboot image loads nothing (load_end_addr 0x100000 = load_addr, no bss)");
	/* A bss alone is an image: it is loaded (zeroed) and described. */
	put_mb_header(AOUT_HDR_OFF, MB_AOUT_KLUDGE, bss_only);
	CHECK_EQ(load(RAM_SIZE, AOUT_LEN, NULL), 0);
	CHECK_EQ(boot.image_start, KERNEL_BASE);
	CHECK_EQ(boot.image_end, KERNEL_BASE + 0x1000);
}

static void test_multiboot_not_elf_without_kludge(void)
{
	memset(img, 0, 256);
	put_mb_header(0, MB_PAGE_ALIGN, NULL);
	CHECK_LOAD_FAILS(load(RAM_SIZE, 256, NULL), ENOEXEC,
			 "not ELF and its header lacks load addresses");
}

static void test_multiboot_modules_dont_fit(void)
{
	static uint8_t big[3 * MIB];
	const struct vessel_load_module mods[] = {
		{ "small", "x", 1, NULL },
		{ "big", big, sizeof(big), "big" },
	};
	const struct vessel_load_opts opts = {
		.modules = mods, .nr_modules = 2,
	};
	size_t len = build_multiboot_elf(MB_PAGE_ALIGN);

	CHECK_LOAD_FAILS(load(4 * MIB, len, &opts), ENOSPC,
			 "no room in guest memory (4 MiB) for module 1 'big' (3 MiB)");
	CHECK_EQ(load(8 * MIB, len, &opts), 0);
}

static void test_multiboot_module_without_data(void)
{
	const struct vessel_load_module mods[] = { { NULL, NULL, 10, NULL } };
	const struct vessel_load_opts opts = {
		.modules = mods, .nr_modules = 1,
	};
	size_t len = build_multiboot_elf(MB_PAGE_ALIGN);

	CHECK_LOAD_FAILS(load(RAM_SIZE, len, &opts), EINVAL,
			 "module 0 has no data");
}

/* ---- Error reporting ---------------------------------------------------- */

static void test_error_buffer_limits(void)
{
	char small[5];

	memset(img, 0x90, 64);
	CHECK_EQ(vessel_image_load(ram, RAM_SIZE, img, 64, NULL, &boot, NULL, 0),
		 -ENOEXEC);
	memset(small, 'z', sizeof(small));
	CHECK_EQ(vessel_image_load(ram, RAM_SIZE, img, 64, NULL, &boot, small,
				   sizeof(small)), -ENOEXEC);
	CHECK_STR_EQ(small, "not ");
}

static void test_ram_size_too_large(void)
{
	size_t len = build_kernel_elf(ELFCLASS32);

	CHECK_LOAD_FAILS(load(1ULL << 60, len, NULL), EINVAL,
			 "guest memory size 1073741824 GiB is too large");
}

/* ---- Fuzzing -------------------------------------------------------------- */

static uint64_t rng_state;

/* xorshift64*: deterministic, so a failure reproduces from the seed. */
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static const uint64_t interesting[] = {
	0, 1, 0x7f, 0xff, 0x1000, 0xffff, 0x100000, 0x7fffffff, 0x80000000,
	0xfffff000, 0xffffffff, 0x100000000ULL, 0x8000000000000000ULL,
	0xfffffffffffff000ULL, UINT64_MAX,
};

/*
 * Parsing happens in the ELF headers and the multiboot header, so most
 * mutations land there; the rest anywhere, including truncation.
 */
static void mutate(uint8_t *buf, size_t *len)
{
	uint64_t r = rng(), val = interesting[rng() % TAP_COUNT(interesting)];
	size_t off;

	if (!*len)
		return;
	switch (r % 4) {
	case 0:
		off = rng() % *len;
		break;
	case 1:
	case 2:
		off = rng() % 0x100;
		break;
	default:
		off = SEG_DATA_OFF + rng() % 0x40;
		break;
	}
	if (off >= *len)
		return;

	switch ((r >> 8) % 8) {
	case 0:
	case 1:
		buf[off] = rng();
		break;
	case 2:
	case 3:
		buf[off] ^= 1 << (rng() % 8);
		break;
	case 4:
	case 5:
		if (off + 4 <= *len)
			put32(buf, off & ~3ULL, val);
		break;
	case 6:
		if (off + 8 <= *len)
			put64(buf, off & ~7ULL, val);
		break;
	default:
		*len = off;
		break;
	}
}

/* Each mutant either loads sanely or fails with a one-line message. */
static void fuzz(const uint8_t *base, size_t len, unsigned int iterations,
		 const struct vessel_load_opts *opts)
{
	static uint8_t mutant[IMG_MAX];
	unsigned int i, j;
	size_t mlen;
	int ret;

	for (i = 0; i < iterations; i++) {
		memcpy(mutant, base, len);
		mlen = len;
		for (j = rng() % 4; j < 4; j++)
			mutate(mutant, &mlen);

		err[0] = '\0';
		ret = vessel_image_load(ram, FUZZ_RAM_SIZE, mutant, mlen, opts,
					&boot, err, sizeof(err));
		if (ret == 0 && boot.rip < FUZZ_RAM_SIZE &&
		    boot.image_end <= FUZZ_RAM_SIZE)
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

static void test_fuzz_elf(void)
{
	static uint8_t base[IMG_MAX];
	size_t len;

	rng_state = 0x5eed0001;
	len = build_kernel_elf(ELFCLASS32);
	memcpy(base, img, len);
	fuzz(base, len, 10000, NULL);
	len = build_kernel_elf(ELFCLASS64);
	memcpy(base, img, len);
	fuzz(base, len, 10000, NULL);
}

static void test_fuzz_multiboot(void)
{
	static uint8_t base[IMG_MAX];
	static const char data[] = "module";
	const struct vessel_load_module mods[] = {
		{ "m", data, sizeof(data), "m arg" },
	};
	const struct vessel_load_opts opts = {
		.cmdline = "console=ttyS0", .modules = mods, .nr_modules = 1,
	};
	size_t len;

	rng_state = 0x5eed0002;
	len = build_multiboot_elf(MB_PAGE_ALIGN | MB_MEMORY_INFO);
	memcpy(base, img, len);
	fuzz(base, len, 10000, &opts);
	memset(img, 0, sizeof(img));
	len = build_multiboot_aout();
	memcpy(base, img, len);
	fuzz(base, len, 10000, &opts);
}

/* ---- Page tables and GDT ------------------------------------------------- */

static void test_pagetable_sizes(void)
{
	CHECK_EQ(vessel_pagetable_size(4 * GIB), 6 * VESSEL_PAGE_SIZE);
	CHECK_EQ(vessel_pagetable_size(3 * MIB), 3 * VESSEL_PAGE_SIZE);
	CHECK_EQ(vessel_pagetable_size(513 * GIB),
		 (1 + 2 + 513) * VESSEL_PAGE_SIZE);
	CHECK_EQ(vessel_pagetable_size(0), 0);
	CHECK_EQ(vessel_pagetable_size(257ULL << 40), 0);
	CHECK_EQ(vessel_pagetable_span(16 * MIB), 4 * GIB);
	CHECK_EQ(vessel_pagetable_span(8 * GIB), 8 * GIB);
}

static void test_pagetable_identity_map(void)
{
	struct vessel_pagetable pt;
	uint64_t pa;

	memset(ram, 0xaa, 2 * MIB);
	CHECK_EQ(vessel_pagetable_build(ram, RAM_SIZE, 0x10000, 8 * GIB, &pt), 0);
	CHECK_EQ(pt.cr3, 0x10000);
	CHECK_EQ(pt.size, vessel_pagetable_size(8 * GIB));
	CHECK_IDENTITY(pt.cr3, 0);
	CHECK_IDENTITY(pt.cr3, 0x1234567);
	CHECK_IDENTITY(pt.cr3, 4 * GIB - 1);
	CHECK_IDENTITY(pt.cr3, 7 * GIB + 0x345678);
	CHECK(!translate(pt.cr3, 8 * GIB, &pa));
	CHECK(!translate(pt.cr3, 512 * GIB, &pa));

	/* A partial last PD: the entries past the span are not present. */
	CHECK_EQ(vessel_pagetable_build(ram, RAM_SIZE, 0x10000, 3 * MIB, &pt), 0);
	CHECK_IDENTITY(pt.cr3, 3 * MIB);
	CHECK(!translate(pt.cr3, 4 * MIB, &pa));
}

static void test_pagetable_rejects(void)
{
	struct vessel_pagetable pt;

	CHECK_EQ(vessel_pagetable_build(ram, RAM_SIZE, 0x10010, 4 * GIB, &pt),
		 -EINVAL);
	CHECK_EQ(vessel_pagetable_build(ram, RAM_SIZE, 0x10000, 0, &pt),
		 -EINVAL);
	CHECK_EQ(vessel_pagetable_build(ram, RAM_SIZE, RAM_SIZE - 0x1000,
					4 * GIB, &pt), -ENOSPC);
	CHECK_EQ(vessel_pagetable_build(ram, RAM_SIZE, UINT64_MAX & ~0xfffULL,
					4 * GIB, &pt), -ENOSPC);
}

static void test_gdt(void)
{
	struct vessel_gdt gdt;
	uint64_t code64 = vessel_gdt_descriptor(VESSEL_GDT_SEL_CODE64);
	uint64_t code32 = vessel_gdt_descriptor(VESSEL_GDT_SEL_CODE32);
	unsigned int i;

	CHECK_EQ(vessel_gdt_build(ram, RAM_SIZE, 0x800, &gdt), 0);
	CHECK_EQ(gdt.base, 0x800);
	CHECK_EQ(gdt.limit, 31);
	CHECK_EQ(gdt.code64, 0x08);
	CHECK_EQ(gdt.code32, 0x10);
	CHECK_EQ(gdt.data, 0x18);
	for (i = 0; i < 4; i++)
		CHECK_EQ(guest64(0x800 + 8 * i), vessel_gdt_descriptor(8 * i));
	CHECK_EQ(guest64(0x800), 0);
	/* L=1 D=0 for 64-bit code, L=0 D=1 for 32-bit code, both present. */
	CHECK_EQ(code64 >> 53 & 3, 1);
	CHECK_EQ(code32 >> 53 & 3, 2);
	CHECK(code64 & code32 & (1ULL << 47));
	/* RPL is ignored, TI (LDT) and out-of-range selectors are not ours. */
	CHECK_EQ(vessel_gdt_descriptor(VESSEL_GDT_SEL_CODE64 | 3), code64);
	CHECK_EQ(vessel_gdt_descriptor(VESSEL_GDT_SEL_CODE64 | 4), 0);
	CHECK_EQ(vessel_gdt_descriptor(0x20), 0);

	CHECK_EQ(vessel_gdt_build(ram, RAM_SIZE, 0x804, &gdt), -EINVAL);
	CHECK_EQ(vessel_gdt_build(ram, RAM_SIZE, RAM_SIZE - 16, &gdt), -ENOSPC);
}

/* ---- Boot CPU state ------------------------------------------------------ */

static struct vessel_vcpu_state cpu;

/* What the kernel gave a new vCPU, as far as the boot state keeps it. */
static void cpu_from_kernel(void)
{
	memset(&cpu, 0xa5, sizeof(cpu));
	cpu.crs.cr2 = 0x2222;
	cpu.crs.cr8 = 0x8;
	cpu.crs.xcr0 = 1;
}

static void check_kernel_crs_kept(void)
{
	CHECK_EQ(cpu.crs.cr2, 0x2222);
	CHECK_EQ(cpu.crs.cr8, 0x8);
	CHECK_EQ(cpu.crs.xcr0, 1);
}

/* VM entry's needs outside the image's own segments: TR busy, no LDT. */
static void check_system_segs(void)
{
	CHECK_EQ(cpu.segs.seg[VESSEL_SEG_TR].attrib, 0x8b);
	CHECK_EQ(cpu.segs.seg[VESSEL_SEG_TR].limit, 0x67);
	CHECK_EQ(cpu.segs.seg[VESSEL_SEG_LDTR].attrib, 0);
}

static void test_cpu_state_real_mode(void)
{
	struct vessel_load_opts opts = { .format = VESSEL_IMAGE_FLAT };
	const struct vessel_segment *cs = &cpu.segs.seg[VESSEL_SEG_CS];
	unsigned int i;

	memset(img, 0x90, 16);
	CHECK_EQ(load(RAM_SIZE, 16, &opts), 0);
	cpu_from_kernel();
	CHECK_EQ(vessel_boot_cpu_state(&boot, &cpu), 0);
	CHECK_EQ(cs->base, 0x10000);
	CHECK_EQ(cs->selector, 0x1000);
	CHECK_EQ(cs->limit, 0xffff);
	CHECK_EQ(cs->attrib, 0x9b);
	for (i = 0; i < VESSEL_NR_SEGS; i++) {
		if (i == VESSEL_SEG_CS || i == VESSEL_SEG_SS ||
		    i == VESSEL_SEG_TR || i == VESSEL_SEG_LDTR)
			continue;
		CHECK_EQ(cpu.segs.seg[i].base, 0x10000);
		CHECK_EQ(cpu.segs.seg[i].attrib, 0x93);
	}
	CHECK_EQ(cpu.segs.seg[VESSEL_SEG_SS].base, boot.ss * 16);
	check_system_segs();
	CHECK_EQ(cpu.segs.idt.limit, 0xffff);	/* the reset IVT */
	CHECK_EQ(cpu.segs.idt.base, 0);
	CHECK_EQ(cpu.gprs.rip, 0);
	CHECK_EQ(cpu.gprs.regs[VESSEL_GPR_RSP], boot.rsp);
	CHECK_EQ(cpu.gprs.rflags, 2);
	for (i = 0; i < VESSEL_NR_GPRS; i++)
		if (i != VESSEL_GPR_RSP)
			CHECK_EQ(cpu.gprs.regs[i], 0);
	CHECK_EQ(cpu.crs.cr0, boot.cr0);
	check_kernel_crs_kept();
}

/* Long mode: segments from the loader's GDT, with L on CS. */
static void test_cpu_state_long_mode(void)
{
	const struct vessel_segment *cs = &cpu.segs.seg[VESSEL_SEG_CS];
	size_t len = build_kernel_elf(ELFCLASS64);

	CHECK_EQ(load(RAM_SIZE, len, NULL), 0);
	cpu_from_kernel();
	CHECK_EQ(vessel_boot_cpu_state(&boot, &cpu), 0);
	CHECK_EQ(cs->selector, VESSEL_GDT_SEL_CODE64);
	CHECK_EQ(cs->base, 0);
	CHECK_EQ(cs->attrib, (vessel_gdt_descriptor(boot.cs) >> 40) & 0xf0ff);
	CHECK(cs->attrib & (1U << 13));		/* L */
	CHECK_EQ(cpu.segs.seg[VESSEL_SEG_DS].selector, VESSEL_GDT_SEL_DATA);
	CHECK_EQ(cpu.segs.seg[VESSEL_SEG_DS].limit, 0xffffffff);
	CHECK_EQ(cpu.segs.seg[VESSEL_SEG_GS].attrib,
		 cpu.segs.seg[VESSEL_SEG_DS].attrib);
	check_system_segs();
	CHECK_EQ(cpu.segs.gdt.base, boot.gdt_base);
	CHECK_EQ(cpu.segs.gdt.limit, boot.gdt_limit);
	CHECK_EQ(cpu.segs.idt.limit, 0);	/* any early fault: shutdown */
	CHECK_EQ(cpu.gprs.rip, ELF_ENTRY);
	CHECK_EQ(cpu.crs.cr3, boot.cr3);
	CHECK_EQ(cpu.crs.cr4, boot.cr4);
	CHECK_EQ(cpu.crs.efer, VESSEL_EFER_LME | VESSEL_EFER_LMA);
	check_kernel_crs_kept();
}

/* Multiboot: EAX and EBX as the specification says; D on CS. */
static void test_cpu_state_multiboot(void)
{
	size_t len = build_multiboot_elf(0);

	CHECK_EQ(load(RAM_SIZE, len, NULL), 0);
	cpu_from_kernel();
	CHECK_EQ(vessel_boot_cpu_state(&boot, &cpu), 0);
	CHECK_EQ(cpu.gprs.regs[VESSEL_GPR_RAX], VESSEL_MULTIBOOT_BOOT_MAGIC);
	CHECK_EQ(cpu.gprs.regs[VESSEL_GPR_RBX], boot.rbx);
	CHECK(boot.rbx);
	CHECK(cpu.segs.seg[VESSEL_SEG_CS].attrib & (1U << 14));	/* D */
	CHECK_EQ(cpu.crs.cr0, VESSEL_CR0_PE | VESSEL_CR0_ET);
}

/* A selector the loader's GDT lacks: refused, nothing changed. */
static void test_cpu_state_bad_selector(void)
{
	struct vessel_vcpu_state before;
	size_t len = build_kernel_elf(ELFCLASS32);

	CHECK_EQ(load(RAM_SIZE, len, NULL), 0);
	boot.ds = VESSEL_GDT_SIZE;	/* one past the last descriptor */
	cpu_from_kernel();
	before = cpu;
	CHECK_EQ(vessel_boot_cpu_state(&boot, &cpu), -EINVAL);
	CHECK(!memcmp(&cpu, &before, sizeof(cpu)));
	boot.ds = VESSEL_GDT_SEL_DATA;
	boot.cs = VESSEL_GDT_SEL_NULL;
	CHECK_EQ(vessel_boot_cpu_state(&boot, &cpu), -EINVAL);
	CHECK(!memcmp(&cpu, &before, sizeof(cpu)));
}

static const struct tap_test tests[] = {
	TAP_TEST(test_detect),
	TAP_TEST(test_auto_refuses_unknown),
	TAP_TEST(test_flat_loads_real_mode),
	TAP_TEST(test_flat_too_big),
	TAP_TEST(test_flat_refuses_cmdline),
	TAP_TEST(test_elf32_loads_protected_mode),
	TAP_TEST(test_elf64_loads_long_mode),
	TAP_TEST(test_cpu_state_real_mode),
	TAP_TEST(test_cpu_state_long_mode),
	TAP_TEST(test_cpu_state_multiboot),
	TAP_TEST(test_cpu_state_bad_selector),
	TAP_TEST(test_elf_forced_class_mismatch),
	TAP_TEST(test_elf_bad_magic),
	TAP_TEST(test_elf_bad_class),
	TAP_TEST(test_elf_big_endian),
	TAP_TEST(test_elf_truncated_header),
	TAP_TEST(test_elf_truncated_phdrs),
	TAP_TEST(test_elf_phoff_overflow),
	TAP_TEST(test_elf_unsupported_machine),
	TAP_TEST(test_elf_not_executable),
	TAP_TEST(test_elf_no_phdrs),
	TAP_TEST(test_elf_no_load_segments),
	TAP_TEST(test_elf_offset_overflow),
	TAP_TEST(test_elf_filesz_past_eof),
	TAP_TEST(test_elf_filesz_exceeds_memsz),
	TAP_TEST(test_elf64_paddr_wraps),
	TAP_TEST(test_elf32_paddr_wraps),
	TAP_TEST(test_elf_segment_past_ram),
	TAP_TEST(test_elf_entry_outside_ram),
	TAP_TEST(test_elf_no_room_for_boot_data),
	TAP_TEST(test_multiboot_elf),
	TAP_TEST(test_multiboot_aout_kludge),
	TAP_TEST(test_multiboot_small_ram),
	TAP_TEST(test_multiboot_priority_and_forced_elf),
	TAP_TEST(test_multiboot_bad_checksum),
	TAP_TEST(test_multiboot_header_beyond_8k),
	TAP_TEST(test_multiboot_truncated_header),
	TAP_TEST(test_multiboot_refuses_requirements),
	TAP_TEST(test_multiboot_aout_bad_addresses),
	TAP_TEST(test_multiboot_aout_nothing_to_load),
	TAP_TEST(test_multiboot_not_elf_without_kludge),
	TAP_TEST(test_multiboot_modules_dont_fit),
	TAP_TEST(test_multiboot_module_without_data),
	TAP_TEST(test_error_buffer_limits),
	TAP_TEST(test_ram_size_too_large),
	TAP_TEST(test_fuzz_elf),
	TAP_TEST(test_fuzz_multiboot),
	TAP_TEST(test_pagetable_sizes),
	TAP_TEST(test_pagetable_identity_map),
	TAP_TEST(test_pagetable_rejects),
	TAP_TEST(test_gdt),
};

int main(void)
{
	return tap_run(tests, TAP_COUNT(tests));
}
