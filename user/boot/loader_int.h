/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the image loaders share, for the loaders only (loader.c, bzimage.c,
 * pvh.c): one load context, one guest-memory layout, one way to copy a
 * piece of the image and one error convention (loader.h), so that every
 * format gets the same checks and messages.
 */
#ifndef VESSEL_LOADER_INT_H
#define VESSEL_LOADER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "compiler.h"
#include "loader.h"
#include "pagetable.h"

#define KIB			1024ULL
#define MIB			(1024 * KIB)
#define GIB			(1024 * MIB)

#define LOW_MEM_END		0xa0000ULL	/* 640 KiB: VGA and ROMs above */
#define HIGH_MEM_START		0x100000ULL	/* 1 MiB */
#define ADDR_LIMIT_32		(4 * GIB)
#define ADDR_LIMIT_64		UINT64_MAX

struct range {
	uint64_t start;
	uint64_t end;
};

struct load_ctx {
	uint8_t *ram;
	uint64_t ram_size;
	const uint8_t *img;
	size_t len;
	const struct vessel_load_opts *opts;
	struct vessel_boot *boot;
	char *err;
	size_t errlen;
	/* Highest address + 1 the boot mode can reach: 4 GiB in 32-bit modes. */
	uint64_t addr_limit;
	/* Guest ranges already taken, consulted by layout_alloc(). */
	struct range *used;
	size_t nr_used;
	size_t max_used;
};

/* "16 MiB" rather than 16777216: messages name sizes the way users give them. */
struct size_str {
	char s[32];
};

struct size_str size_str(uint64_t bytes);

/* Write the one-line message and return -@errnum. */
__printf(3, 4)
int load_error(struct load_ctx *c, int errnum, const char *fmt, ...);

static inline uint64_t page_align_up(uint64_t addr)
{
	return (addr + VESSEL_PAGE_SIZE - 1) & ~(VESSEL_PAGE_SIZE - 1);
}

/* "the initrd 'FILE'", or "the initrd" when the caller gave no name. */
static inline void initrd_what(const struct vessel_load_module *rd,
			       char *buf, size_t size)
{
	if (rd->name)
		snprintf(buf, size, "the initrd '%s'", rd->name);
	else
		snprintf(buf, size, "the initrd");
}

/* Mark [start, end) taken. */
int layout_reserve(struct load_ctx *c, uint64_t start, uint64_t end);

/* First fit, page aligned, at or above @min; -ENOSPC with a message. */
int layout_alloc(struct load_ctx *c, uint64_t size, uint64_t min,
		 const char *what, uint64_t *gpa);

/*
 * Last fit: the highest page-aligned @size bytes that end at or below
 * @max_end (and inside RAM) and above @min; -ENOSPC with a message.
 */
int layout_alloc_top(struct load_ctx *c, uint64_t size, uint64_t min,
		     uint64_t max_end, const char *what, uint64_t *gpa);

/*
 * Copy @filesz bytes at file offset @off to @gpa and zero the rest of
 * @memsz, after checking both ranges; reserves the guest range.
 */
int load_segment(struct load_ctx *c, const char *what, uint64_t off,
		 uint64_t filesz, uint64_t gpa, uint64_t memsz);

/* The entry point lies in RAM and below the boot mode's address limit. */
int check_entry(struct load_ctx *c, uint64_t entry);

/* 32-bit flat protected mode at @entry, with the flat GDT and a stack. */
int boot_enter_prot32(struct load_ctx *c, uint64_t entry);

/* ---- ELF ---------------------------------------------------------------- */

/* The class-independent fields we need, so only two helpers know the class. */
struct elf_info {
	unsigned int class;
	unsigned int type;
	unsigned int machine;
	uint64_t entry;
	uint64_t phoff;
	unsigned int phentsize;
	unsigned int phnum;
};

struct elf_seg {
	uint32_t type;
	uint64_t offset;
	uint64_t paddr;
	uint64_t filesz;
	uint64_t memsz;
};

bool elf_has_magic(const uint8_t *img, size_t len);

/* Header and program header table checked against the file. */
int elf_read_header(struct load_ctx *c, struct elf_info *ei);

/* Program header @index; the table was checked by elf_read_header(). */
void elf_get_segment(const uint8_t *img, const struct elf_info *ei,
		     unsigned int index, struct elf_seg *seg);

/* Every PT_LOAD segment at its physical address; then the entry point. */
int elf_load_segments(struct load_ctx *c, const struct elf_info *ei);

/* ---- Linux (bzimage.c, pvh.c) ------------------------------------------- */

/* One entry of the memory map both Linux entries hand over (E820_* types). */
struct e820_region {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

#define LINUX_E820_MAX		3

/* The VM's memory map for @ram_size bytes of RAM from 0; the entry count. */
unsigned int linux_memory_map(uint64_t ram_size, struct e820_region *r);

bool bzimage_detect(const uint8_t *img, size_t len);
int load_bzimage(struct load_ctx *c);
/* Give the zero page at boot->linux_params the RSDP address; 0 or -EINVAL. */
int bzimage_set_rsdp(uint8_t *ram, uint64_t ram_size,
		     const struct vessel_boot *boot, uint64_t rsdp);

/* Whether the ELF image @img carries a PVH entry note; its address. */
bool pvh_find_entry(const uint8_t *img, size_t len, uint32_t *entry);
int load_pvh(struct load_ctx *c);
/* The same for the hvm_start_info at boot->linux_params. */
int pvh_set_rsdp(uint8_t *ram, uint64_t ram_size,
		 const struct vessel_boot *boot, uint64_t rsdp);

#endif /* VESSEL_LOADER_INT_H */
