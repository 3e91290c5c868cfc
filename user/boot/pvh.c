// SPDX-License-Identifier: GPL-2.0
/*
 * Linux as an ELF vmlinux, entered through its PVH entry point: the
 * address in the ELF note of name "Xen" and type XEN_ELFNOTE_PHYS32_ENTRY
 * (18), which Linux puts in every kernel built with CONFIG_PVH
 * (arch/x86/platform/pvh/head.S). This is how Firecracker, Cloud
 * Hypervisor and QEMU's microvm start an uncompressed kernel.
 *
 * The ABI (Xen's public arch-x86/hvm/start_info.h, and the comment at
 * Linux's pvh_start_xen) is 32-bit flat protected mode with paging off,
 * CR4 clear, interrupts off, a usable TR, EBX = the physical address of a
 * struct hvm_start_info: version 1, which carries the memory map (version
 * 0 would need Xen's hypercall for it), the command line, the RSDP and
 * the modules, of which Linux takes the first as its initrd.
 *
 * The segments load at their physical addresses like any ELF (loader.c
 * checks them); the start info, its memory map and module list share one
 * page below 1 MiB; the initrd goes as high as fits below 2 GiB, the
 * initrd_addr_max of every x86-64 kernel's own setup header (Linux reads
 * the start info's addresses into 32-bit boot_params fields).
 */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "loader_int.h"

#define XEN_ELFNOTE_PHYS32_ENTRY	18
#define XEN_NOTE_NAME			"Xen"	/* namesz 4, with the NUL */
#define HVM_START_MAGIC			0x336ec578	/* "xEn3", 0x80 on 'E' */
#define HVM_START_VERSION		1	/* with the memory map */
#define PVH_INITRD_MAX_END		(2 * GIB)

/* The Xen ABI's structures, version 1 (start_info.h). */
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info layout");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "modlist layout");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "memmap layout");

/* The page of boot data: start info, then the memory map, then the module. */
struct pvh_page {
	struct hvm_start_info info;
	struct hvm_memmap_table_entry memmap[LINUX_E820_MAX];
	struct hvm_modlist_entry initrd;
};

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t align4(uint64_t n)
{
	return (n + 3) & ~3ULL;
}

/*
 * Scan the notes in [p, p + size): namesz, descsz, type, then the name and
 * the descriptor, each padded to 4 bytes. 1 and the entry if the PVH note
 * is there, -EINVAL if it is but its descriptor is not a 32-bit address, 0
 * if not (the scan stops at a note that runs past the segment: other
 * notes are no business of ours).
 */
static int note_scan(const uint8_t *p, uint64_t size, uint32_t *entry)
{
	uint64_t off = 0, name, desc, next, v;
	uint32_t namesz, descsz;

	while (size - off >= 12) {
		namesz = get32(p + off);
		descsz = get32(p + off + 4);
		name = off + 12;
		desc = name + align4(namesz);
		next = desc + align4(descsz);
		if (next > size)
			return 0;
		if (namesz == sizeof(XEN_NOTE_NAME) &&
		    !memcmp(p + name, XEN_NOTE_NAME, sizeof(XEN_NOTE_NAME)) &&
		    get32(p + off + 8) == XEN_ELFNOTE_PHYS32_ENTRY) {
			/* An _ASM_PTR: 4 bytes in 32-bit kernels, 8 in 64-bit. */
			if (descsz == 4)
				v = get32(p + desc);
			else if (descsz == 8)
				v = get64(p + desc);
			else
				return -EINVAL;
			if (v > UINT32_MAX)
				return -EINVAL;
			*entry = v;
			return 1;
		}
		off = next;
	}
	return 0;
}

/* As note_scan(), over every PT_NOTE; the header must be checked. */
static int pvh_scan(const uint8_t *img, size_t len, const struct elf_info *ei,
		    uint32_t *entry)
{
	struct elf_seg seg;
	unsigned int i;
	int r;

	for (i = 0; i < ei->phnum; i++) {
		elf_get_segment(img, ei, i, &seg);
		if (seg.type != PT_NOTE)
			continue;
		if (seg.offset > len || seg.filesz > len - seg.offset)
			continue;	/* the ELF loader judges segments */
		r = note_scan(img + seg.offset, seg.filesz, entry);
		if (r)
			return r;
	}
	return 0;
}

/*
 * For detection: true if @img is an ELF with the PVH note, even one whose
 * address is malformed, so that load_pvh() says what is wrong with it.
 */
bool pvh_find_entry(const uint8_t *img, size_t len, uint32_t *entry)
{
	struct load_ctx quiet = { .img = img, .len = len };
	struct elf_info ei;

	if (!elf_has_magic(img, len) || elf_read_header(&quiet, &ei))
		return false;
	return pvh_scan(img, len, &ei, entry) != 0;
}

static int pvh_load_initrd(struct load_ctx *c, struct hvm_modlist_entry *m)
{
	const struct vessel_load_module *rd = c->opts->initrd;
	char what[96];
	int ret;

	initrd_what(rd, what, sizeof(what));
	ret = layout_alloc_top(c, rd->size, c->boot->image_end,
			       PVH_INITRD_MAX_END, what, &m->paddr);
	if (ret)
		return ret;
	memcpy(c->ram + m->paddr, rd->data, rd->size);
	m->size = rd->size;
	return 0;
}

static int pvh_write_start_info(struct load_ctx *c, uint64_t *gpa)
{
	const char *cmdline = c->opts->cmdline ? c->opts->cmdline : "";
	size_t n = strlen(cmdline);
	struct e820_region r[LINUX_E820_MAX];
	struct pvh_page pg;
	unsigned int i;
	uint64_t at;
	int ret;

	memset(&pg, 0, sizeof(pg));
	pg.info.magic = HVM_START_MAGIC;
	pg.info.version = HVM_START_VERSION;
	if (c->opts->initrd && c->opts->initrd->size) {
		ret = pvh_load_initrd(c, &pg.initrd);
		if (ret)
			return ret;
		pg.info.nr_modules = 1;
	}
	ret = layout_alloc(c, n + 1, 0, "the kernel command line", &at);
	if (ret)
		return ret;
	memcpy(c->ram + at, cmdline, n + 1);
	pg.info.cmdline_paddr = at;

	ret = layout_alloc(c, sizeof(pg), 0, "the PVH start info", gpa);
	if (ret)
		return ret;
	pg.info.memmap_entries = linux_memory_map(c->ram_size, r);
	for (i = 0; i < pg.info.memmap_entries; i++) {
		pg.memmap[i].addr = r[i].addr;
		pg.memmap[i].size = r[i].size;
		pg.memmap[i].type = r[i].type;
	}
	pg.info.memmap_paddr = *gpa + offsetof(struct pvh_page, memmap);
	if (pg.info.nr_modules)
		pg.info.modlist_paddr = *gpa + offsetof(struct pvh_page, initrd);
	memcpy(c->ram + *gpa, &pg, sizeof(pg));
	return 0;
}

int load_pvh(struct load_ctx *c)
{
	struct vessel_boot *boot = c->boot;
	struct elf_info ei;
	uint32_t entry = 0;
	uint64_t info;
	int ret;

	/* The entry is 32-bit, and so are the start info's consumers. */
	c->addr_limit = ADDR_LIMIT_32;
	ret = elf_read_header(c, &ei);
	if (ret)
		return ret;
	ret = pvh_scan(c->img, c->len, &ei, &entry);
	if (ret < 0)
		return load_error(c, EINVAL,
				  "malformed PVH note: the entry point (Xen, XEN_ELFNOTE_PHYS32_ENTRY) is not a 32-bit address");
	if (!ret)
		return load_error(c, ENOEXEC,
				  "no PVH entry point: the ELF has no Xen note XEN_ELFNOTE_PHYS32_ENTRY (a kernel built without CONFIG_PVH?)");
	/* e_entry is the kernel's virtual startup_64; PVH enters elsewhere. */
	ei.entry = entry;
	ret = elf_load_segments(c, &ei);
	if (!ret)
		ret = pvh_write_start_info(c, &info);
	if (!ret)
		ret = boot_enter_prot32(c, entry);
	if (ret)
		return ret;
	boot->format = VESSEL_IMAGE_PVH;
	boot->rbx = info;
	boot->linux_params = info;
	return 0;
}

int pvh_set_rsdp(uint8_t *ram, uint64_t ram_size,
		 const struct vessel_boot *boot, uint64_t rsdp)
{
	const uint64_t off = offsetof(struct hvm_start_info, rsdp_paddr);

	if (!vessel_guest_range_ok(boot->linux_params,
				   sizeof(struct hvm_start_info), ram_size))
		return -EINVAL;
	memcpy(ram + boot->linux_params + off, &rsdp, sizeof(rsdp));
	return 0;
}
