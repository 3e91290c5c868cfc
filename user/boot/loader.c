// SPDX-License-Identifier: GPL-2.0
/*
 * Guest image loaders. See loader.h for the guest-physical layout and the
 * error convention.
 *
 * Everything read from the image is untrusted: each offset and size is
 * checked against the file length, the guest RAM size and the address space
 * of the boot mode before it is used, with arithmetic arranged so that it
 * cannot wrap. Guest structures are written in host byte order, which is
 * fine because Vessel only runs on x86 hosts.
 */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader_int.h"

/* Beyond any CPU's MAXPHYADDR; keeps all layout arithmetic far from wrapping. */
#define RAM_SIZE_MAX		(1ULL << 52)

#define RFLAGS_RESERVED		0x2ULL		/* bit 1 always reads as 1 */
#define RESET_GDT_LIMIT		0xffff		/* GDTR limit after CPU reset */

struct size_str size_str(uint64_t bytes)
{
	static const struct {
		uint64_t unit;
		const char *name;
	} units[] = { { GIB, "GiB" }, { MIB, "MiB" }, { KIB, "KiB" } };
	struct size_str r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(units); i++) {
		if (bytes && bytes % units[i].unit == 0) {
			snprintf(r.s, sizeof(r.s), "%" PRIu64 " %s",
				 bytes / units[i].unit, units[i].name);
			return r;
		}
	}
	snprintf(r.s, sizeof(r.s), "%" PRIu64 " bytes", bytes);
	return r;
}

__printf(3, 4)
int load_error(struct load_ctx *c, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return -errnum;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* ---- Guest memory layout ------------------------------------------------ */

int layout_reserve(struct load_ctx *c, uint64_t start, uint64_t end)
{
	if (c->nr_used == c->max_used) {
		size_t max = c->max_used ? 2 * c->max_used : 16;
		struct range *used = realloc(c->used, max * sizeof(*used));

		if (!used)
			return load_error(c, ENOMEM, "out of memory");
		c->used = used;
		c->max_used = max;
	}
	c->used[c->nr_used].start = start;
	c->used[c->nr_used].end = end;
	c->nr_used++;
	return 0;
}

static const struct range *layout_overlap(const struct load_ctx *c,
					  uint64_t start, uint64_t size)
{
	size_t i;

	for (i = 0; i < c->nr_used; i++) {
		if (start < c->used[i].end && c->used[i].start < start + size)
			return &c->used[i];
	}
	return NULL;
}

/*
 * First fit, page aligned, at or above @min. Each collision moves the
 * candidate past the range it hit, so the search only ever climbs and ends
 * either in a gap or past the end of reachable memory.
 */
int layout_alloc(struct load_ctx *c, uint64_t size, uint64_t min,
		 const char *what, uint64_t *gpa)
{
	uint64_t limit = min_u64(c->ram_size, c->addr_limit);
	uint64_t at = page_align_up(min);
	const struct range *hit;

	for (;;) {
		if (!vessel_guest_range_ok(at, size, limit))
			return load_error(c, ENOSPC,
					  "no room in guest memory (%s) for %s (%s)",
					  size_str(c->ram_size).s, what,
					  size_str(size).s);
		hit = layout_overlap(c, at, size);
		if (!hit)
			break;
		at = page_align_up(hit->end);
	}
	*gpa = at;
	return layout_reserve(c, at, at + size);
}

/*
 * Last fit: the candidate starts as high as @max_end allows and each
 * collision moves it below the range it hit, so the search only ever
 * descends and ends in a gap or below @min.
 */
int layout_alloc_top(struct load_ctx *c, uint64_t size, uint64_t min,
		     uint64_t max_end, const char *what, uint64_t *gpa)
{
	uint64_t limit = min_u64(min_u64(c->ram_size, c->addr_limit), max_end);
	const struct range *hit;
	uint64_t at;

	if (size > limit || limit - size < min)
		goto full;
	at = (limit - size) & ~(VESSEL_PAGE_SIZE - 1);
	while (at >= min) {
		hit = layout_overlap(c, at, size);
		if (!hit) {
			*gpa = at;
			return layout_reserve(c, at, at + size);
		}
		if (hit->start < size)
			break;
		at = (hit->start - size) & ~(VESSEL_PAGE_SIZE - 1);
	}
full:
	return load_error(c, ENOSPC,
			  "no room in guest memory (%s) for %s (%s) between %#" PRIx64 " and %#" PRIx64,
			  size_str(c->ram_size).s, what, size_str(size).s, min,
			  limit);
}

/* The null page and the legacy hole are never handed out for boot data. */
static int layout_init(struct load_ctx *c)
{
	int ret = layout_reserve(c, 0, VESSEL_PAGE_SIZE);

	if (ret)
		return ret;
	return layout_reserve(c, LOW_MEM_END, HIGH_MEM_START);
}

/* ---- Copying image pieces ----------------------------------------------- */

static int check_guest_range(struct load_ctx *c, const char *what,
			     uint64_t gpa, uint64_t size)
{
	if (size > c->addr_limit || gpa > c->addr_limit - size)
		return load_error(c, EINVAL,
				  "%s (0x%" PRIx64 "+0x%" PRIx64 ") wraps around the %s address space",
				  what, gpa, size,
				  c->addr_limit == ADDR_LIMIT_32 ? "32-bit" : "64-bit");
	if (!vessel_guest_range_ok(gpa, size, c->ram_size))
		return load_error(c, ENOSPC,
				  "%s (0x%" PRIx64 "+0x%" PRIx64 ") lies outside guest memory (%s)",
				  what, gpa, size, size_str(c->ram_size).s);
	return 0;
}

/*
 * Copy @filesz bytes at file offset @off to @gpa and zero the rest of
 * @memsz (the bss). Shared by every format, so all of them get the same
 * checks and messages.
 */
int load_segment(struct load_ctx *c, const char *what, uint64_t off,
		 uint64_t filesz, uint64_t gpa, uint64_t memsz)
{
	struct vessel_boot *boot = c->boot;
	int ret;

	if (filesz > memsz)
		return load_error(c, EINVAL,
				  "%s: file size 0x%" PRIx64 " exceeds memory size 0x%" PRIx64,
				  what, filesz, memsz);
	if (off > c->len || filesz > c->len - off)
		return load_error(c, EINVAL,
				  "%s (file offset 0x%" PRIx64 "+0x%" PRIx64 ") lies beyond the end of the file (%zu bytes)",
				  what, off, filesz, c->len);
	ret = check_guest_range(c, what, gpa, memsz);
	if (ret || !memsz)
		return ret;

	memcpy(c->ram + gpa, c->img + off, filesz);
	memset(c->ram + gpa + filesz, 0, memsz - filesz);
	if (gpa < boot->image_start)
		boot->image_start = gpa;
	if (gpa + memsz > boot->image_end)
		boot->image_end = gpa + memsz;
	return layout_reserve(c, gpa, gpa + memsz);
}

int check_entry(struct load_ctx *c, uint64_t entry)
{
	if (entry >= min_u64(c->ram_size, c->addr_limit))
		return load_error(c, EINVAL,
				  "entry point 0x%" PRIx64 " lies outside guest memory (%s)",
				  entry, size_str(c->ram_size).s);
	return 0;
}

/* ---- Initial CPU state --------------------------------------------------- */

/* Protected and long mode share one GDT and get a stack, placed low. */
static int boot_setup_gdt_stack(struct load_ctx *c)
{
	struct vessel_boot *boot = c->boot;
	struct vessel_gdt gdt;
	unsigned int i;
	uint64_t gpa;
	int ret;

	ret = layout_alloc(c, VESSEL_GDT_SIZE, 0, "the GDT", &gpa);
	if (ret)
		return ret;
	/* Cannot fail: layout_alloc() returned an aligned, in-RAM range. */
	vessel_gdt_build(c->ram, c->ram_size, gpa, &gdt);
	boot->gdt_base = gdt.base;
	boot->gdt_limit = gdt.limit;
	for (i = 0; i < VESSEL_BOOT_GDT_ENTRIES; i++)
		boot->gdt[i] = vessel_gdt_descriptor(i * 8);
	boot->ds = gdt.data;
	boot->ss = gdt.data;

	ret = layout_alloc(c, VESSEL_BOOT_STACK_SIZE, 0, "the boot stack", &gpa);
	if (ret)
		return ret;
	boot->rsp = gpa + VESSEL_BOOT_STACK_SIZE;
	return 0;
}

int boot_enter_prot32(struct load_ctx *c, uint64_t entry)
{
	struct vessel_boot *boot = c->boot;
	int ret = boot_setup_gdt_stack(c);

	if (ret)
		return ret;
	boot->mode = VESSEL_CPU_PROT32;
	boot->rip = entry;
	boot->cs = VESSEL_GDT_SEL_CODE32;
	boot->cr0 = VESSEL_CR0_PE | VESSEL_CR0_ET;
	return 0;
}

static int boot_enter_long64(struct load_ctx *c, uint64_t entry)
{
	struct vessel_boot *boot = c->boot;
	uint64_t span = vessel_pagetable_span(c->ram_size);
	struct vessel_pagetable pt;
	uint64_t gpa;
	int ret;

	ret = boot_setup_gdt_stack(c);
	if (ret)
		return ret;
	ret = layout_alloc(c, vessel_pagetable_size(span), 0, "the page tables",
			   &gpa);
	if (ret)
		return ret;
	vessel_pagetable_build(c->ram, c->ram_size, gpa, span, &pt);

	boot->mode = VESSEL_CPU_LONG64;
	boot->rip = entry;
	boot->cs = VESSEL_GDT_SEL_CODE64;
	boot->cr0 = VESSEL_CR0_PE | VESSEL_CR0_ET | VESSEL_CR0_PG;
	boot->cr3 = pt.cr3;
	boot->cr4 = VESSEL_CR4_PAE;
	boot->efer = VESSEL_EFER_LME | VESSEL_EFER_LMA;
	return 0;
}

/* ---- Flat binaries ------------------------------------------------------- */

/*
 * kvmtool's convention: image at 0x10000, CS=DS=0x1000, IP=0. The stack
 * sits at SS:SP = 0:0xfff0, just below the image, rather than at kvmtool's
 * 0x1000:0x8000, which lands inside any image larger than 32 KiB.
 */
static int load_flat(struct load_ctx *c)
{
	struct vessel_boot *boot = c->boot;
	int ret;

	ret = load_segment(c, "flat binary", 0, c->len, VESSEL_FLAT_LOAD_ADDR,
			   c->len);
	if (ret)
		return ret;
	boot->format = VESSEL_IMAGE_FLAT;
	boot->mode = VESSEL_CPU_REAL16;
	boot->rip = 0;
	boot->cs = VESSEL_FLAT_SEGMENT;
	boot->ds = VESSEL_FLAT_SEGMENT;
	boot->ss = 0;
	boot->rsp = VESSEL_FLAT_STACK;
	boot->cr0 = VESSEL_CR0_ET;
	boot->gdt_limit = RESET_GDT_LIMIT;
	return 0;
}

/* ---- ELF ----------------------------------------------------------------- */

bool elf_has_magic(const uint8_t *img, size_t len)
{
	return len >= EI_NIDENT && !memcmp(img, ELFMAG, SELFMAG);
}

/* Caller has checked that a whole header of @ei->class is in the file. */
static void elf_get_header(const uint8_t *img, struct elf_info *ei)
{
	Elf32_Ehdr h32;
	Elf64_Ehdr h64;

	if (ei->class == ELFCLASS32) {
		memcpy(&h32, img, sizeof(h32));
		ei->type = h32.e_type;
		ei->machine = h32.e_machine;
		ei->entry = h32.e_entry;
		ei->phoff = h32.e_phoff;
		ei->phentsize = h32.e_phentsize;
		ei->phnum = h32.e_phnum;
	} else {
		memcpy(&h64, img, sizeof(h64));
		ei->type = h64.e_type;
		ei->machine = h64.e_machine;
		ei->entry = h64.e_entry;
		ei->phoff = h64.e_phoff;
		ei->phentsize = h64.e_phentsize;
		ei->phnum = h64.e_phnum;
	}
}

/* Caller has checked that the program header table is in the file. */
void elf_get_segment(const uint8_t *img, const struct elf_info *ei,
		     unsigned int index, struct elf_seg *seg)
{
	const uint8_t *p = img + ei->phoff + (uint64_t)index * ei->phentsize;
	Elf32_Phdr p32;
	Elf64_Phdr p64;

	if (ei->class == ELFCLASS32) {
		memcpy(&p32, p, sizeof(p32));
		seg->type = p32.p_type;
		seg->offset = p32.p_offset;
		seg->paddr = p32.p_paddr;
		seg->filesz = p32.p_filesz;
		seg->memsz = p32.p_memsz;
	} else {
		memcpy(&p64, p, sizeof(p64));
		seg->type = p64.p_type;
		seg->offset = p64.p_offset;
		seg->paddr = p64.p_paddr;
		seg->filesz = p64.p_filesz;
		seg->memsz = p64.p_memsz;
	}
}

int elf_read_header(struct load_ctx *c, struct elf_info *ei)
{
	const uint8_t *ident = c->img;
	bool is32;
	uint64_t table;

	if (!elf_has_magic(c->img, c->len))
		return load_error(c, ENOEXEC, "not an ELF image");
	ei->class = ident[EI_CLASS];
	if (ei->class != ELFCLASS32 && ei->class != ELFCLASS64)
		return load_error(c, ENOEXEC, "unsupported ELF class %u",
				  ei->class);
	if (ident[EI_DATA] != ELFDATA2LSB)
		return load_error(c, ENOEXEC, "ELF image is not little-endian");
	is32 = ei->class == ELFCLASS32;
	if (c->len < (is32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr)))
		return load_error(c, EINVAL, "truncated ELF header");

	elf_get_header(c->img, ei);
	if (ei->machine != (is32 ? EM_386 : EM_X86_64))
		return load_error(c, ENOEXEC,
				  "unsupported ELF machine type %u (%s images must be %s)",
				  ei->machine, is32 ? "ELF32" : "ELF64",
				  is32 ? "EM_386" : "EM_X86_64");
	if (ei->type != ET_EXEC)
		return load_error(c, ENOEXEC,
				  "ELF type %u is not an executable (ET_EXEC)",
				  ei->type);
	if (ei->phnum == 0 || ei->phnum == PN_XNUM)
		return load_error(c, EINVAL, "ELF image has %s program headers",
				  ei->phnum ? "too many" : "no");
	if (ei->phentsize < (is32 ? sizeof(Elf32_Phdr) : sizeof(Elf64_Phdr)))
		return load_error(c, EINVAL,
				  "ELF program header size %u is too small",
				  ei->phentsize);
	/* Both factors are 16-bit, so the product cannot overflow. */
	table = (uint64_t)ei->phnum * ei->phentsize;
	if (ei->phoff > c->len || table > c->len - ei->phoff)
		return load_error(c, EINVAL, "truncated ELF program header table");
	return 0;
}

int elf_load_segments(struct load_ctx *c, const struct elf_info *ei)
{
	unsigned int i, loaded = 0;
	struct elf_seg seg;
	char what[32];
	int ret;

	for (i = 0; i < ei->phnum; i++) {
		elf_get_segment(c->img, ei, i, &seg);
		if (seg.type != PT_LOAD)
			continue;
		snprintf(what, sizeof(what), "segment %u", i);
		ret = load_segment(c, what, seg.offset, seg.filesz, seg.paddr,
				   seg.memsz);
		if (ret)
			return ret;
		loaded += seg.memsz != 0;
	}
	if (!loaded)
		return load_error(c, EINVAL, "ELF image has no loadable segments");
	return check_entry(c, ei->entry);
}

/* A plain ELF: @want is ELF32, ELF64 or AUTO for whichever class it is. */
static int load_elf(struct load_ctx *c, enum vessel_image_format want)
{
	enum vessel_image_format got;
	struct elf_info ei;
	int ret;

	ret = elf_read_header(c, &ei);
	if (ret)
		return ret;
	got = ei.class == ELFCLASS32 ? VESSEL_IMAGE_ELF32 : VESSEL_IMAGE_ELF64;
	if (want != VESSEL_IMAGE_AUTO && want != got)
		return load_error(c, ENOEXEC, "image is %s, not %s",
				  vessel_image_format_name(got),
				  vessel_image_format_name(want));
	c->boot->format = got;
	if (got == VESSEL_IMAGE_ELF32) {
		c->addr_limit = ADDR_LIMIT_32;
		ret = elf_load_segments(c, &ei);
		return ret ? ret : boot_enter_prot32(c, ei.entry);
	}
	ret = elf_load_segments(c, &ei);
	return ret ? ret : boot_enter_long64(c, ei.entry);
}

/* ---- Multiboot v1 --------------------------------------------------------- */

#define MB_FLAG_PAGE_ALIGN	(1U << 0)	/* modules page aligned */
#define MB_FLAG_MEMORY_INFO	(1U << 1)	/* mem_* and mmap_* wanted */
#define MB_FLAG_VIDEO_MODE	(1U << 2)	/* video mode table wanted */
#define MB_FLAG_AOUT_KLUDGE	(1U << 16)	/* load addresses in header */
#define MB_FLAGS_REQUIRED	0xffffU		/* bits a loader must honour */
#define MB_FLAGS_HONOURED	(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO)

#define MB_HEADER_MIN		12		/* magic, flags, checksum */

#define MBI_FLAG_MEMORY		(1U << 0)
#define MBI_FLAG_CMDLINE	(1U << 2)
#define MBI_FLAG_MODS		(1U << 3)
#define MBI_FLAG_MMAP		(1U << 6)
#define MBI_FLAG_LOADER_NAME	(1U << 9)

#define MB_MEMORY_AVAILABLE	1
#define MB_MEMORY_RESERVED	2
#define MB_MMAP_MAX		3	/* low RAM, legacy hole, high RAM */

#define MB_LOADER_NAME		"vessel"

struct mb_header {
	uint32_t magic;
	uint32_t flags;
	uint32_t checksum;
	uint32_t header_addr;
	uint32_t load_addr;
	uint32_t load_end_addr;
	uint32_t bss_end_addr;
	uint32_t entry_addr;
};

/* Multiboot 0.6.96 boot information; the framebuffer tail is left zero. */
struct mb_info {
	uint32_t flags;
	uint32_t mem_lower;
	uint32_t mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count;
	uint32_t mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length;
	uint32_t mmap_addr;
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t video_and_framebuffer[11];
};

struct mb_module {
	uint32_t mod_start;
	uint32_t mod_end;
	uint32_t string;
	uint32_t reserved;
};

/* "size" excludes itself, so the guest finds the next entry at size + 4. */
struct mb_mmap_entry {
	uint32_t size;
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;
} __packed;

_Static_assert(sizeof(struct mb_info) == 116, "multiboot info layout");
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "multiboot mmap layout");

/*
 * Offset of the first header with a valid checksum in the first 8 KiB, or
 * -1. If @bad_at is given it receives the offset of the first magic whose
 * checksum is wrong (or -1), so the error can say so.
 */
static long mb_find_header(const uint8_t *img, size_t len, long *bad_at)
{
	size_t end = min_u64(len, VESSEL_MULTIBOOT_SEARCH);
	size_t off;

	if (bad_at)
		*bad_at = -1;
	for (off = 0; off + MB_HEADER_MIN <= end; off += 4) {
		uint32_t magic = get_le32(img + off);

		if (magic != VESSEL_MULTIBOOT_HEADER_MAGIC)
			continue;
		if (magic + get_le32(img + off + 4) + get_le32(img + off + 8) == 0)
			return off;
		if (bad_at && *bad_at < 0)
			*bad_at = off;
	}
	return -1;
}

static int mb_read_header(struct load_ctx *c, size_t *off, struct mb_header *h)
{
	size_t need = MB_HEADER_MIN;
	uint32_t unmet;
	long bad_at, at;

	at = mb_find_header(c->img, c->len, &bad_at);
	if (at < 0 && bad_at >= 0)
		return load_error(c, EINVAL,
				  "multiboot header at offset 0x%lx has a bad checksum",
				  bad_at);
	if (at < 0)
		return load_error(c, ENOEXEC,
				  "no multiboot header in the first %d bytes",
				  VESSEL_MULTIBOOT_SEARCH);

	memset(h, 0, sizeof(*h));
	memcpy(h, c->img + at, MB_HEADER_MIN);
	if (h->flags & MB_FLAG_AOUT_KLUDGE) {
		need = offsetof(struct mb_header, entry_addr) + 4;
		if (at + need > min_u64(c->len, VESSEL_MULTIBOOT_SEARCH))
			return load_error(c, EINVAL,
					  "multiboot header at offset 0x%lx is truncated",
					  at);
		memcpy(h, c->img + at, need);
	}

	/*
	 * Bits 0-15 are requirements the loader must refuse if it cannot
	 * meet them. We have no display, so a kernel that requires video mode
	 * information (bit 2) is refused rather than started without it.
	 */
	unmet = h->flags & MB_FLAGS_REQUIRED & ~MB_FLAGS_HONOURED;
	if (unmet & MB_FLAG_VIDEO_MODE)
		return load_error(c, ENOEXEC,
				  "multiboot header requires video mode information (flag bit 2), which vessel cannot provide");
	if (unmet)
		return load_error(c, ENOEXEC,
				  "multiboot header requires unsupported features (flags 0x%x)",
				  unmet);
	*off = at;
	return 0;
}

/*
 * a.out kludge: header_addr is where the header itself must land, which
 * ties file offsets to load addresses: load_addr is at file offset
 * off - (header_addr - load_addr). Zero load_end_addr means "to the end of
 * the file", zero bss_end_addr means "no bss".
 */
static int mb_load_aout(struct load_ctx *c, size_t off,
			const struct mb_header *h)
{
	uint64_t file_off, load_end, mem_end;

	if (h->load_addr > h->header_addr ||
	    h->header_addr - h->load_addr > off)
		return load_error(c, EINVAL,
				  "multiboot load_addr 0x%x does not fit header_addr 0x%x at file offset 0x%zx",
				  h->load_addr, h->header_addr, off);
	file_off = off - (h->header_addr - h->load_addr);
	load_end = h->load_end_addr ? h->load_end_addr :
		   h->load_addr + (c->len - file_off);
	if (load_end < h->load_addr)
		return load_error(c, EINVAL,
				  "multiboot load_end_addr 0x%x is below load_addr 0x%x",
				  h->load_end_addr, h->load_addr);
	mem_end = h->bss_end_addr ? h->bss_end_addr : load_end;
	if (mem_end < load_end)
		return load_error(c, EINVAL,
				  "multiboot bss_end_addr 0x%x is below the end of the loaded image 0x%" PRIx64,
				  h->bss_end_addr, load_end);
	/* As an ELF without loadable segments: there is no kernel to start. */
	if (mem_end == h->load_addr)
		return load_error(c, EINVAL,
				  "multiboot image loads nothing (load_end_addr 0x%" PRIx64 " = load_addr, no bss)",
				  load_end);
	return load_segment(c, "multiboot image", file_off,
			    load_end - h->load_addr, h->load_addr,
			    mem_end - h->load_addr);
}

/* Without the kludge the kernel is an ELF, entered in 32-bit mode either way. */
static int mb_load_kernel(struct load_ctx *c, size_t off,
			  const struct mb_header *h, uint64_t *entry)
{
	struct elf_info ei;
	int ret;

	if (h->flags & MB_FLAG_AOUT_KLUDGE) {
		ret = mb_load_aout(c, off, h);
		*entry = h->entry_addr;
		return ret ? ret : check_entry(c, *entry);
	}
	ret = elf_read_header(c, &ei);
	if (ret == -ENOEXEC && !elf_has_magic(c->img, c->len))
		return load_error(c, ENOEXEC,
				  "multiboot image is not ELF and its header lacks load addresses (flag bit 16)");
	if (ret)
		return ret;
	*entry = ei.entry;
	return elf_load_segments(c, &ei);
}

/* Each module page aligned above the kernel; @mods gets start and end. */
static int mb_load_modules(struct load_ctx *c, struct mb_module *mods)
{
	const struct vessel_load_opts *opts = c->opts;
	uint64_t above = c->boot->image_end;
	unsigned int i;
	uint64_t gpa;
	char what[96];
	int ret;

	for (i = 0; i < opts->nr_modules; i++) {
		const struct vessel_load_module *m = &opts->modules[i];

		if (m->name)
			snprintf(what, sizeof(what), "module %u '%s'", i, m->name);
		else
			snprintf(what, sizeof(what), "module %u", i);
		if (m->size && !m->data)
			return load_error(c, EINVAL, "%s has no data", what);
		ret = layout_alloc(c, m->size, above, what, &gpa);
		if (ret)
			return ret;
		if (m->size)
			memcpy(c->ram + gpa, m->data, m->size);
		mods[i].mod_start = gpa;
		mods[i].mod_end = gpa + m->size;
	}
	return 0;
}

static unsigned int mb_fill_mmap(uint64_t ram_size, struct mb_mmap_entry *e)
{
	unsigned int n = 0;

	e[n++] = (struct mb_mmap_entry){
		.size = sizeof(*e) - 4, .base_addr = 0,
		.length = min_u64(ram_size, LOW_MEM_END),
		.type = MB_MEMORY_AVAILABLE,
	};
	if (ram_size > LOW_MEM_END)
		e[n++] = (struct mb_mmap_entry){
			.size = sizeof(*e) - 4, .base_addr = LOW_MEM_END,
			.length = HIGH_MEM_START - LOW_MEM_END,
			.type = MB_MEMORY_RESERVED,
		};
	if (ram_size > HIGH_MEM_START)
		e[n++] = (struct mb_mmap_entry){
			.size = sizeof(*e) - 4, .base_addr = HIGH_MEM_START,
			.length = ram_size - HIGH_MEM_START,
			.type = MB_MEMORY_AVAILABLE,
		};
	return n;
}

/*
 * Appends to the boot information block. With @ram NULL it only measures,
 * so the same code that writes the block also sizes it.
 */
struct mb_writer {
	uint8_t *ram;
	uint64_t base;
	uint64_t pos;
};

static uint32_t mb_put(struct mb_writer *w, const void *src, size_t n)
{
	uint64_t at = w->base + w->pos;

	if (w->ram && n)
		memcpy(w->ram + at, src, n);
	w->pos += n;
	return at;	/* the block was allocated below 4 GiB */
}

static uint32_t mb_put_str(struct mb_writer *w, const char *s)
{
	return mb_put(w, s ? s : "", strlen(s ? s : "") + 1);
}

static void mb_emit_info(struct load_ctx *c, struct mb_writer *w,
			 struct mb_module *mods)
{
	const struct vessel_load_opts *opts = c->opts;
	size_t mods_size = opts->nr_modules * sizeof(*mods);
	struct mb_mmap_entry mmap[MB_MMAP_MAX];
	struct mb_info mbi = { 0 };
	uint64_t info_pos, mods_pos;
	unsigned int i, nr_mmap;

	/* Fixed-size parts first keep them 4-byte aligned; strings go last. */
	info_pos = w->pos;
	w->pos += sizeof(mbi);
	nr_mmap = mb_fill_mmap(c->ram_size, mmap);
	mbi.mmap_length = nr_mmap * sizeof(mmap[0]);
	mbi.mmap_addr = mb_put(w, mmap, mbi.mmap_length);
	mods_pos = w->pos;
	w->pos += mods_size;

	mbi.flags = MBI_FLAG_MEMORY | MBI_FLAG_CMDLINE | MBI_FLAG_MODS |
		    MBI_FLAG_MMAP | MBI_FLAG_LOADER_NAME;
	mbi.mem_lower = min_u64(c->ram_size, LOW_MEM_END) / KIB;
	if (c->ram_size > HIGH_MEM_START)
		mbi.mem_upper = (min_u64(c->ram_size, ADDR_LIMIT_32) -
				 HIGH_MEM_START) / KIB;
	mbi.cmdline = mb_put_str(w, opts->cmdline);
	mbi.boot_loader_name = mb_put_str(w, MB_LOADER_NAME);
	mbi.mods_count = opts->nr_modules;
	mbi.mods_addr = w->base + mods_pos;
	for (i = 0; i < opts->nr_modules; i++)
		mods[i].string = mb_put_str(w, opts->modules[i].cmdline);

	if (w->ram) {
		memcpy(w->ram + w->base + mods_pos, mods, mods_size);
		memcpy(w->ram + w->base + info_pos, &mbi, sizeof(mbi));
	}
}

static int mb_write_info(struct load_ctx *c, struct mb_module *mods,
			 uint64_t *gpa)
{
	struct mb_writer w = { 0 };
	int ret;

	mb_emit_info(c, &w, mods);
	ret = layout_alloc(c, w.pos, 0, "the multiboot information", gpa);
	if (ret)
		return ret;
	w = (struct mb_writer){ .ram = c->ram, .base = *gpa };
	mb_emit_info(c, &w, mods);
	return 0;
}

static int load_multiboot(struct load_ctx *c)
{
	struct vessel_boot *boot = c->boot;
	struct mb_module *mods;
	struct mb_header h;
	uint64_t entry = 0, mbi;
	size_t off = 0;
	int ret;

	/* The boot information only holds 32-bit addresses. */
	c->addr_limit = ADDR_LIMIT_32;
	ret = mb_read_header(c, &off, &h);
	if (ret)
		return ret;
	ret = mb_load_kernel(c, off, &h, &entry);
	if (ret)
		return ret;

	mods = calloc(c->opts->nr_modules ? c->opts->nr_modules : 1,
		      sizeof(*mods));
	if (!mods)
		return load_error(c, ENOMEM, "out of memory");
	ret = mb_load_modules(c, mods);
	if (!ret)
		ret = mb_write_info(c, mods, &mbi);
	free(mods);
	if (!ret)
		ret = boot_enter_prot32(c, entry);
	if (ret)
		return ret;

	boot->format = VESSEL_IMAGE_MULTIBOOT;
	boot->rax = VESSEL_MULTIBOOT_BOOT_MAGIC;
	boot->rbx = mbi;
	return 0;
}

/* ---- Public entry points -------------------------------------------------- */

enum vessel_image_format vessel_image_detect(const void *img, size_t len)
{
	const uint8_t *p = img;

	uint32_t entry;

	/* Multiboot first: a multiboot kernel is usually an ELF as well. */
	if (mb_find_header(p, len, NULL) >= 0)
		return VESSEL_IMAGE_MULTIBOOT;
	if (bzimage_detect(p, len))
		return VESSEL_IMAGE_BZIMAGE;
	/* A vmlinux is an ELF64 too, but its entry is a virtual address. */
	if (pvh_find_entry(p, len, &entry))
		return VESSEL_IMAGE_PVH;
	if (elf_has_magic(p, len) && p[EI_CLASS] == ELFCLASS32)
		return VESSEL_IMAGE_ELF32;
	if (elf_has_magic(p, len) && p[EI_CLASS] == ELFCLASS64)
		return VESSEL_IMAGE_ELF64;
	return VESSEL_IMAGE_AUTO;
}

const char *vessel_image_format_name(enum vessel_image_format format)
{
	switch (format) {
	case VESSEL_IMAGE_AUTO:
		return "auto";
	case VESSEL_IMAGE_FLAT:
		return "flat binary";
	case VESSEL_IMAGE_ELF32:
		return "ELF32";
	case VESSEL_IMAGE_ELF64:
		return "ELF64";
	case VESSEL_IMAGE_MULTIBOOT:
		return "multiboot";
	case VESSEL_IMAGE_BZIMAGE:
		return "bzImage";
	case VESSEL_IMAGE_PVH:
		return "PVH ELF";
	}
	return "unknown";
}

static int load_check_opts(struct load_ctx *c, enum vessel_image_format format)
{
	const struct vessel_load_opts *opts = c->opts;
	bool has_cmdline = opts->cmdline && opts->cmdline[0];
	bool is_linux = format == VESSEL_IMAGE_BZIMAGE ||
			format == VESSEL_IMAGE_PVH;

	if (opts->nr_modules && !opts->modules)
		return load_error(c, EINVAL, "module list is missing");
	if (opts->initrd && opts->initrd->size && !opts->initrd->data)
		return load_error(c, EINVAL, "the initrd has no data");
	/* Only Linux takes an initrd, only multiboot takes modules. */
	if (opts->initrd && !is_linux)
		return load_error(c, EINVAL,
				  "an initrd needs a Linux kernel (bzImage or PVH ELF), not %s",
				  vessel_image_format_name(format));
	if (opts->nr_modules && format != VESSEL_IMAGE_MULTIBOOT)
		return load_error(c, EINVAL,
				  "modules need a multiboot image, not %s%s",
				  vessel_image_format_name(format),
				  is_linux ? " (Linux takes an initrd)" : "");
	if (has_cmdline && format != VESSEL_IMAGE_MULTIBOOT && !is_linux)
		return load_error(c, EINVAL,
				  "a command line needs a multiboot or Linux image, not %s",
				  vessel_image_format_name(format));
	return 0;
}

static int load_dispatch(struct load_ctx *c)
{
	enum vessel_image_format format = c->opts->format;
	int ret;

	if (!c->len)
		return load_error(c, EINVAL, "image is empty");
	if (c->ram_size > RAM_SIZE_MAX)
		return load_error(c, EINVAL, "guest memory size %s is too large",
				  size_str(c->ram_size).s);
	if (format == VESSEL_IMAGE_AUTO) {
		format = vessel_image_detect(c->img, c->len);
		/* A damaged ELF deserves the ELF loader's precise message. */
		if (format == VESSEL_IMAGE_AUTO && elf_has_magic(c->img, c->len))
			format = VESSEL_IMAGE_ELF32;
		if (format == VESSEL_IMAGE_AUTO)
			return load_error(c, ENOEXEC,
					  "not an ELF, multiboot or Linux bzImage image");
	}
	ret = load_check_opts(c, format);
	if (!ret)
		ret = layout_init(c);
	if (ret)
		return ret;

	switch (format) {
	case VESSEL_IMAGE_FLAT:
		return load_flat(c);
	case VESSEL_IMAGE_ELF32:
	case VESSEL_IMAGE_ELF64:
		/* Auto-detected ELF loads whichever class it is. */
		return load_elf(c, c->opts->format);
	case VESSEL_IMAGE_MULTIBOOT:
		return load_multiboot(c);
	case VESSEL_IMAGE_BZIMAGE:
		return load_bzimage(c);
	case VESSEL_IMAGE_PVH:
		return load_pvh(c);
	default:
		return load_error(c, EINVAL, "unknown image format %d", format);
	}
}

int vessel_image_load(void *ram, uint64_t ram_size, const void *img,
		      size_t len, const struct vessel_load_opts *opts,
		      struct vessel_boot *boot, char *err, size_t errlen)
{
	static const struct vessel_load_opts no_opts;
	struct load_ctx c = {
		.ram = ram,
		.ram_size = ram_size,
		.img = img,
		.len = len,
		.opts = opts ? opts : &no_opts,
		.boot = boot,
		.err = err,
		.errlen = errlen,
		.addr_limit = ADDR_LIMIT_64,
	};
	int ret;

	memset(boot, 0, sizeof(*boot));
	boot->rflags = RFLAGS_RESERVED;
	boot->image_start = UINT64_MAX;
	if (errlen)
		err[0] = '\0';

	ret = load_dispatch(&c);
	free(c.used);
	return ret;
}

int vessel_image_set_rsdp(void *ram, uint64_t ram_size,
			  const struct vessel_boot *boot, uint64_t rsdp)
{
	switch (boot->format) {
	case VESSEL_IMAGE_BZIMAGE:
		return bzimage_set_rsdp(ram, ram_size, boot, rsdp);
	case VESSEL_IMAGE_PVH:
		return pvh_set_rsdp(ram, ram_size, boot, rsdp);
	default:
		return 0;
	}
}
