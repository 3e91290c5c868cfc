// SPDX-License-Identifier: GPL-2.0
/*
 * Linux bzImage, entered through the 64-bit boot protocol
 * (Documentation/x86/boot.rst, "64-bit Boot Protocol"; the structures are
 * the kernel's own uapi <asm/bootparam.h>).
 *
 * The file is the real-mode setup code ((setup_sects + 1) * 512 bytes,
 * with the setup header at 0x1f1) followed by the protected-mode kernel.
 * Only the latter is loaded; the setup code's job (asking the BIOS for the
 * memory map, the video mode, ...) is done here instead:
 *
 *  - the protected-mode kernel goes to pref_address (aligned up to
 *    kernel_alignment when the kernel is relocatable), where the kernel
 *    decompresses itself anyway when it is not told otherwise (KASLR
 *    aside): a relocatable kernel loaded lower still runs at
 *    LOAD_PHYSICAL_ADDR, the value pref_address carries. It needs init_size
 *    bytes from there, which are reserved, not zeroed: the kernel clears
 *    what it uses;
 *  - the initrd goes as high as RAM, 4 GiB and initrd_addr_max allow, above
 *    the kernel's init_size, as boot loaders place it (the kernel reserves
 *    it early and frees it after unpacking);
 *  - the zero page (struct boot_params) starts zeroed, takes the image's
 *    setup header, and gets the command line, the initrd, an e820 map of
 *    the VM's memory and (from the firmware tables' writer, through
 *    vessel_image_set_rsdp()) the ACPI RSDP address;
 *  - vCPU 0 starts at the 64-bit entry, load address + 0x200, in long mode
 *    with paging on, identity-mapped up to 4 GiB (which covers the kernel,
 *    the zero page, the command line and the initrd, all of which stay
 *    below 4 GiB), a GDT whose __BOOT_CS (0x10) is a flat 64-bit code
 *    segment and __BOOT_DS (0x18) flat data, CS = __BOOT_CS, DS = ES = SS
 *    = __BOOT_DS, interrupts off and RSI = the zero page.
 *
 * Every field read from the image is checked before it is used: the magic
 * numbers, the protocol version (2.12 or later, with XLF_KERNEL_64: the
 * 64-bit entry point), the header's own length, the setup code, syssize,
 * the payload and the kernel_info against the file's length, the load
 * address, alignment and init_size against guest memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <asm/bootparam.h>
#include <asm/e820.h>

#include "loader_int.h"

#define SETUP_HEADER_OFFSET	0x1f1
#define BOOT_FLAG_OFFSET	0x1fe
#define JUMP_OFFSET		0x200
#define HDRS_OFFSET		0x202
#define BOOT_FLAG_MAGIC		0xaa55
#define HDRS_MAGIC		0x53726448	/* "HdrS" */
#define JMP_SHORT_OPCODE	0xeb
#define KERNEL_INFO_MAGIC	0x506f544c	/* "LToP" */
#define KERNEL_INFO_MIN		16	/* header, size, size_total, setup_type_max */
#define SECTOR_SIZE		512
#define SETUP_SECTS_DEFAULT	4	/* setup_sects 0 means 4 */
#define ENTRY64_OFFSET		0x200	/* 64-bit entry: load address + 0x200 */
#define PROTOCOL_MIN		0x020c	/* 2.12: xloadflags, XLF_KERNEL_64 */
#define PROTOCOL_KERNEL_INFO	0x020f	/* 2.15: kernel_info_offset */
#define LOADER_TYPE_UNDEFINED	0xff	/* no assigned boot loader ID */
#define VID_MODE_NORMAL		0xffff
/* struct boot_params has room for the setup header up to here. */
#define SETUP_HEADER_ROOM	0x290

/* GDT of the 64-bit boot protocol: __BOOT_CS and __BOOT_DS. */
#define BOOT_CS			0x10
#define BOOT_DS			0x18
#define BOOT_GDT_SIZE		0x20
/* Base 0, limit 4 GiB, accessed: 64-bit code (L=1), and data (B=1). */
#define DESC_CODE64		0x00af9b000000ffffULL
#define DESC_DATA		0x00cf93000000ffffULL

#define RFLAGS_RESERVED		0x2ULL

/* The setup header fields the loader needs, read once from the file. */
struct bz_header {
	unsigned int version;
	uint64_t setup_size;	/* boot sector and setup code, in bytes */
	uint64_t pm_size;	/* the protected-mode kernel: the rest */
	uint64_t hdr_end;	/* file offset just past the setup header */
	uint8_t loadflags;
	uint16_t xloadflags;
	uint32_t syssize;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable;
	uint32_t cmdline_size;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t kernel_info_offset;
};

static uint16_t get16(const uint8_t *img, size_t off)
{
	uint16_t v;

	memcpy(&v, img + off, sizeof(v));
	return v;
}

static uint32_t get32(const uint8_t *img, size_t off)
{
	uint32_t v;

	memcpy(&v, img + off, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *img, size_t off)
{
	uint64_t v;

	memcpy(&v, img + off, sizeof(v));
	return v;
}

#define HDR_OFF(field)	(SETUP_HEADER_OFFSET + offsetof(struct setup_header, field))
#define HDR_END(field)	(HDR_OFF(field) + sizeof(((struct setup_header *)0)->field))

bool bzimage_detect(const uint8_t *img, size_t len)
{
	return len >= HDRS_OFFSET + 4 &&
	       get16(img, BOOT_FLAG_OFFSET) == BOOT_FLAG_MAGIC &&
	       get32(img, HDRS_OFFSET) == HDRS_MAGIC;
}

/* The magic numbers, the version, and the header's and setup's extent. */
static int bz_check_frame(struct load_ctx *c, struct bz_header *h)
{
	const uint8_t *img = c->img;
	unsigned int sects;

	if (!bzimage_detect(img, c->len))
		return load_error(c, ENOEXEC,
				  "not a Linux bzImage (no boot flag 0xaa55 at 0x1fe and \"HdrS\" at 0x202)");
	h->version = get16(img, HDR_OFF(version));
	if (h->version < PROTOCOL_MIN)
		return load_error(c, ENOEXEC,
				  "Linux boot protocol %u.%02u: vessel needs 2.12 or later (the 64-bit entry point)",
				  h->version >> 8, h->version & 0xff);
	/* The jump over the header doubles as its length (boot.rst). */
	if (img[JUMP_OFFSET] != JMP_SHORT_OPCODE)
		return load_error(c, EINVAL,
				  "malformed setup header: no short jump at 0x200 (0x%02x)",
				  img[JUMP_OFFSET]);
	h->hdr_end = HDRS_OFFSET + img[JUMP_OFFSET + 1];
	if (h->hdr_end < HDR_END(init_size) ||
	    (h->version >= PROTOCOL_KERNEL_INFO &&
	     h->hdr_end < HDR_END(kernel_info_offset)))
		return load_error(c, EINVAL,
				  "malformed setup header: it ends at %#" PRIx64 ", before the fields of protocol %u.%02u",
				  h->hdr_end, h->version >> 8, h->version & 0xff);
	if (h->hdr_end > c->len)
		return load_error(c, EINVAL,
				  "truncated bzImage: the setup header ends at %#" PRIx64 ", past the end of the file (%zu bytes)",
				  h->hdr_end, c->len);
	if (h->hdr_end > SETUP_HEADER_ROOM)
		h->hdr_end = SETUP_HEADER_ROOM;

	sects = img[HDR_OFF(setup_sects)];
	if (!sects)
		sects = SETUP_SECTS_DEFAULT;
	h->setup_size = (uint64_t)(sects + 1) * SECTOR_SIZE;
	if (h->setup_size >= c->len)
		return load_error(c, EINVAL,
				  "truncated bzImage: the setup code (%u sectors) reaches past the end of the file (%zu bytes)",
				  sects, c->len);
	h->pm_size = c->len - h->setup_size;
	return 0;
}

static void bz_read_fields(const uint8_t *img, struct bz_header *h)
{
	h->loadflags = img[HDR_OFF(loadflags)];
	h->xloadflags = get16(img, HDR_OFF(xloadflags));
	h->syssize = get32(img, HDR_OFF(syssize));
	h->initrd_addr_max = get32(img, HDR_OFF(initrd_addr_max));
	h->kernel_alignment = get32(img, HDR_OFF(kernel_alignment));
	h->relocatable = img[HDR_OFF(relocatable_kernel)];
	h->cmdline_size = get32(img, HDR_OFF(cmdline_size));
	h->payload_offset = get32(img, HDR_OFF(payload_offset));
	h->payload_length = get32(img, HDR_OFF(payload_length));
	h->pref_address = get64(img, HDR_OFF(pref_address));
	h->init_size = get32(img, HDR_OFF(init_size));
	h->kernel_info_offset = h->version >= PROTOCOL_KERNEL_INFO ?
				get32(img, HDR_OFF(kernel_info_offset)) : 0;
}

/* Does [off, off + size) lie inside the protected-mode kernel? */
static bool bz_in_kernel(const struct bz_header *h, uint64_t off,
			 uint64_t size)
{
	return size <= h->pm_size && off <= h->pm_size - size;
}

/* What the fields promise about the file: it must hold all of it. */
static int bz_check_fields(struct load_ctx *c, const struct bz_header *h)
{
	if (!(h->loadflags & LOADED_HIGH))
		return load_error(c, ENOEXEC,
				  "a zImage (LOADED_HIGH clear in loadflags): vessel loads bzImages only");
	if (!(h->xloadflags & XLF_KERNEL_64))
		return load_error(c, ENOEXEC,
				  "this kernel has no 64-bit entry point (XLF_KERNEL_64 clear in xloadflags), which vessel needs");
	if ((uint64_t)h->syssize * 16 > h->pm_size)
		return load_error(c, EINVAL,
				  "truncated bzImage: syssize says the kernel is %" PRIu64 " bytes, the file holds %" PRIu64 " after the setup code",
				  (uint64_t)h->syssize * 16, h->pm_size);
	if (!bz_in_kernel(h, h->payload_offset, h->payload_length))
		return load_error(c, EINVAL,
				  "malformed bzImage: the payload (offset %#x, %u bytes) lies outside the kernel (%" PRIu64 " bytes)",
				  h->payload_offset, h->payload_length, h->pm_size);
	if (h->kernel_info_offset &&
	    (!bz_in_kernel(h, h->kernel_info_offset, KERNEL_INFO_MIN) ||
	     get32(c->img, h->setup_size + h->kernel_info_offset) !=
	     KERNEL_INFO_MAGIC))
		return load_error(c, EINVAL,
				  "malformed bzImage: no kernel_info (\"LToP\") at kernel_info_offset %#x",
				  h->kernel_info_offset);
	if (h->relocatable && (!h->kernel_alignment ||
			       (h->kernel_alignment & (h->kernel_alignment - 1))))
		return load_error(c, EINVAL,
				  "malformed bzImage: kernel_alignment %#x is not a power of two",
				  h->kernel_alignment);
	return 0;
}

/*
 * Load address and footprint: pref_address, aligned up for a relocatable
 * kernel, and max(init_size, the file's kernel) from there.
 */
static int bz_place_kernel(struct load_ctx *c, const struct bz_header *h,
			   uint64_t *load, uint64_t *footprint)
{
	uint64_t at = h->pref_address;
	uint64_t need = h->init_size > h->pm_size ? h->init_size : h->pm_size;

	if (h->relocatable) {
		uint64_t mask = h->kernel_alignment - 1;

		if (at > UINT64_MAX - mask)
			at = UINT64_MAX;	/* caught just below */
		else
			at = (at + mask) & ~mask;
	}
	if (at < HIGH_MEM_START)
		return load_error(c, EINVAL,
				  "malformed bzImage: pref_address %#" PRIx64 " lies below 1 MiB",
				  h->pref_address);
	if (at >= c->addr_limit || need > c->addr_limit - at)
		return load_error(c, EINVAL,
				  "malformed bzImage: the kernel at %#" PRIx64 " with init_size %#x reaches past 4 GiB",
				  at, h->init_size);
	if (at + need > c->ram_size)
		return load_error(c, ENOSPC,
				  "the kernel needs guest memory up to %" PRIu64 " MiB (loaded at %#" PRIx64 ", init_size %s), but the guest has %s",
				  (uint64_t)((at + need + MIB - 1) / MIB), at,
				  size_str(h->init_size).s,
				  size_str(c->ram_size).s);
	*load = at;
	*footprint = need;
	return 0;
}

/* Highest below the lowest of RAM, 4 GiB and initrd_addr_max, above the kernel. */
static int bz_load_initrd(struct load_ctx *c, const struct bz_header *h,
			  uint64_t above, struct boot_params *bp)
{
	const struct vessel_load_module *rd = c->opts->initrd;
	uint64_t max_end = (uint64_t)h->initrd_addr_max + 1;
	uint64_t gpa;
	char what[96];
	int ret;

	if (!rd || !rd->size)
		return 0;
	initrd_what(rd, what, sizeof(what));
	ret = layout_alloc_top(c, rd->size, above, max_end, what, &gpa);
	if (ret)
		return ret;
	memcpy(c->ram + gpa, rd->data, rd->size);
	bp->hdr.ramdisk_image = (uint32_t)gpa;
	bp->ext_ramdisk_image = gpa >> 32;
	bp->hdr.ramdisk_size = (uint32_t)rd->size;
	bp->ext_ramdisk_size = (uint64_t)rd->size >> 32;
	return 0;
}

static int bz_load_cmdline(struct load_ctx *c, const struct bz_header *h,
			   struct boot_params *bp)
{
	const char *cmdline = c->opts->cmdline ? c->opts->cmdline : "";
	size_t n = strlen(cmdline);
	uint64_t gpa;
	int ret;

	/* cmdline_size does not count the terminating NUL. */
	if (n > h->cmdline_size)
		return load_error(c, EINVAL,
				  "the command line is %zu bytes; this kernel takes at most %u (cmdline_size)",
				  n, h->cmdline_size);
	/* Always one, if empty: cmd_line_ptr 0 means a pre-2.02 loader. */
	ret = layout_alloc(c, n + 1, 0, "the kernel command line", &gpa);
	if (ret)
		return ret;
	memcpy(c->ram + gpa, cmdline, n + 1);
	bp->hdr.cmd_line_ptr = (uint32_t)gpa;
	bp->ext_cmd_line_ptr = gpa >> 32;
	return 0;
}

static void bz_fill_e820(struct load_ctx *c, struct boot_params *bp)
{
	struct e820_region r[LINUX_E820_MAX];
	unsigned int i, n = linux_memory_map(c->ram_size, r);

	for (i = 0; i < n; i++) {
		bp->e820_table[i].addr = r[i].addr;
		bp->e820_table[i].size = r[i].size;
		bp->e820_table[i].type = r[i].type;
	}
	bp->e820_entries = n;
}

/* Long mode, identity-mapped to 4 GiB, the boot protocol's GDT, RSI. */
static int bz_enter_long64(struct load_ctx *c, uint64_t entry, uint64_t zp)
{
	static const uint64_t gdt[VESSEL_BOOT_GDT_ENTRIES] = {
		[BOOT_CS / 8] = DESC_CODE64,
		[BOOT_DS / 8] = DESC_DATA,
	};
	struct vessel_boot *boot = c->boot;
	struct vessel_pagetable pt;
	uint64_t gpa;
	int ret;

	ret = layout_alloc(c, BOOT_GDT_SIZE, 0, "the GDT", &gpa);
	if (ret)
		return ret;
	memcpy(c->ram + gpa, gdt, sizeof(gdt));
	memcpy(boot->gdt, gdt, sizeof(gdt));
	boot->gdt_base = gpa;
	boot->gdt_limit = BOOT_GDT_SIZE - 1;

	ret = layout_alloc(c, vessel_pagetable_size(ADDR_LIMIT_32), 0,
			   "the page tables", &gpa);
	if (ret)
		return ret;
	/* Cannot fail: an aligned range inside RAM. */
	vessel_pagetable_build(c->ram, c->ram_size, gpa, ADDR_LIMIT_32, &pt);

	/* The kernel sets up its own stack first thing; one page still. */
	ret = layout_alloc(c, VESSEL_PAGE_SIZE, 0, "the boot stack", &gpa);
	if (ret)
		return ret;
	boot->rsp = gpa + VESSEL_PAGE_SIZE;

	boot->mode = VESSEL_CPU_LONG64;
	boot->rip = entry;
	boot->rsi = zp;
	boot->rflags = RFLAGS_RESERVED;
	boot->cs = BOOT_CS;
	boot->ds = BOOT_DS;
	boot->ss = BOOT_DS;
	boot->cr0 = VESSEL_CR0_PE | VESSEL_CR0_ET | VESSEL_CR0_PG;
	boot->cr3 = pt.cr3;
	boot->cr4 = VESSEL_CR4_PAE;
	boot->efer = VESSEL_EFER_LME | VESSEL_EFER_LMA;
	return 0;
}

int load_bzimage(struct load_ctx *c)
{
	struct vessel_boot *boot = c->boot;
	struct bz_header h = { 0 };
	struct boot_params bp;
	uint64_t load = 0, footprint = 0, zp;
	int ret;

	_Static_assert(sizeof(bp) == VESSEL_PAGE_SIZE, "the zero page");
	/* Everything the kernel is handed stays in the 4 GiB identity map. */
	c->addr_limit = ADDR_LIMIT_32;
	ret = bz_check_frame(c, &h);
	if (ret)
		return ret;
	bz_read_fields(c->img, &h);
	ret = bz_check_fields(c, &h);
	if (!ret)
		ret = bz_place_kernel(c, &h, &load, &footprint);
	if (ret)
		return ret;

	/* The file's kernel; the rest of init_size is only reserved. */
	ret = load_segment(c, "the kernel", h.setup_size, h.pm_size, load,
			   h.pm_size);
	if (!ret && footprint > h.pm_size)
		ret = layout_reserve(c, load + h.pm_size, load + footprint);
	if (ret)
		return ret;
	boot->image_end = load + footprint;

	/* A clean zero page with the image's setup header (boot.rst). */
	memset(&bp, 0, sizeof(bp));
	memcpy((uint8_t *)&bp + SETUP_HEADER_OFFSET,
	       c->img + SETUP_HEADER_OFFSET, h.hdr_end - SETUP_HEADER_OFFSET);
	bp.hdr.type_of_loader = LOADER_TYPE_UNDEFINED;
	bp.hdr.vid_mode = VID_MODE_NORMAL;
	bp.hdr.code32_start = (uint32_t)load;
	/* Not the image's: a setup_data list is the loader's to give. */
	bp.hdr.setup_data = 0;
	bp.hdr.hardware_subarch = X86_SUBARCH_PC;
	bp.hdr.hardware_subarch_data = 0;

	ret = bz_load_initrd(c, &h, load + footprint, &bp);
	if (!ret)
		ret = bz_load_cmdline(c, &h, &bp);
	if (!ret)
		ret = layout_alloc(c, sizeof(bp), 0, "the zero page", &zp);
	if (ret)
		return ret;
	bz_fill_e820(c, &bp);
	memcpy(c->ram + zp, &bp, sizeof(bp));

	ret = bz_enter_long64(c, load + ENTRY64_OFFSET, zp);
	if (ret)
		return ret;
	boot->format = VESSEL_IMAGE_BZIMAGE;
	boot->linux_params = zp;
	return 0;
}

int bzimage_set_rsdp(uint8_t *ram, uint64_t ram_size,
		     const struct vessel_boot *boot, uint64_t rsdp)
{
	const uint64_t off = offsetof(struct boot_params, acpi_rsdp_addr);

	if (!vessel_guest_range_ok(boot->linux_params, VESSEL_PAGE_SIZE,
				   ram_size))
		return -EINVAL;
	memcpy(ram + boot->linux_params + off, &rsdp, sizeof(rsdp));
	return 0;
}

/*
 * The VM's memory as a PC's firmware reports it: RAM below the legacy
 * hole, the BIOS area where the MP and ACPI tables are (reserved), RAM
 * from 1 MiB to the end. The VGA and ROM range between is not memory at
 * all. Both Linux entries (the zero page, PVH's memory map) use it.
 */
unsigned int linux_memory_map(uint64_t ram_size, struct e820_region *r)
{
	const uint64_t bios = 0xf0000;
	unsigned int n = 0;

	r[n++] = (struct e820_region){
		0, ram_size < LOW_MEM_END ? ram_size : LOW_MEM_END, E820_RAM,
	};
	if (ram_size <= bios)
		return n;
	r[n++] = (struct e820_region){ bios, HIGH_MEM_START - bios,
				       E820_RESERVED };
	if (ram_size > HIGH_MEM_START)
		r[n++] = (struct e820_region){ HIGH_MEM_START,
					       ram_size - HIGH_MEM_START,
					       E820_RAM };
	return n;
}
