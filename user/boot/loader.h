/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest image loaders: flat binary, ELF32, ELF64, Multiboot v1, and Linux
 * (a bzImage through the 64-bit boot protocol, or a vmlinux ELF through
 * its PVH entry: boot/linux.h).
 *
 * The caller owns guest RAM as one host buffer in which guest-physical
 * address 0 is offset 0. A loader copies the image into it, writes whatever
 * boot data the format needs, and describes the initial vCPU state in a
 * struct vessel_boot. Nothing here touches /dev/vessel, so it is unit-tested
 * on the host.
 *
 * Guest-physical layout:
 *  - The image goes where the file says (flat binaries: 0x10000).
 *  - Boot data (GDT, stack, page tables, multiboot info and its strings) is
 *    placed first-fit from 0x1000 upwards, page aligned, avoiding the image,
 *    the modules and the legacy hole 0xA0000-0xFFFFF. For any image linked
 *    at 1 MiB that means conventional memory below 640 KiB. The first page
 *    is never used, so a guest NULL dereference hits zeroes, not our data.
 *  - Multiboot modules go first-fit at or above the end of the kernel, each
 *    page aligned (satisfying header flag bit 0 unconditionally).
 *
 * Multiboot v1: header flag bits 0 (page-aligned modules) and 1 (memory
 * information) are honoured. Bit 2 (video mode information) and any other
 * bit in 0-15 make the load fail with -ENOEXEC: the specification requires
 * a loader to refuse requirements it cannot meet, and Vessel has no display
 * to describe. Bits 17-31 are optional and ignored. The boot information
 * carries mem_lower/mem_upper, a memory map (RAM, 640 KiB-1 MiB reserved),
 * the command line exactly as given (no kernel file name prepended), the
 * modules with their own command lines and the boot loader name "vessel".
 * The kernel is entered as the specification says: 32-bit flat protected
 * mode, paging off, EAX = 0x2BADB002, EBX = the info structure; a valid GDT
 * and a stack are provided as well, though the kernel must not rely on them.
 *
 * Flat binaries carry no magic, so detection never picks them: the caller
 * asks for VESSEL_IMAGE_FLAT explicitly.
 *
 * Errors: vessel_image_load() returns 0 or a negative errno and writes one
 * line, without a trailing newline, naming the problem into the caller's
 * buffer:
 *   -ENOEXEC  not a recognised image, or a variant we do not support
 *             (ELF class/machine/type, multiboot requirement flags)
 *   -EINVAL   the image is malformed (truncated, offsets overflow, ...)
 *             or the options do not suit the format
 *   -ENOSPC   image, modules or boot data do not fit in guest RAM
 *   -ENOMEM   the host is out of memory
 */
#ifndef VESSEL_LOADER_H
#define VESSEL_LOADER_H

#include <stddef.h>
#include <stdint.h>

enum vessel_image_format {
	VESSEL_IMAGE_AUTO = 0,	/* options: detect; detect(): unknown */
	VESSEL_IMAGE_FLAT,
	VESSEL_IMAGE_ELF32,
	VESSEL_IMAGE_ELF64,
	VESSEL_IMAGE_MULTIBOOT,
	VESSEL_IMAGE_BZIMAGE,	/* Linux bzImage, 64-bit boot protocol */
	VESSEL_IMAGE_PVH,	/* ELF with a Xen PVH entry note (vmlinux) */
};

enum vessel_cpu_mode {
	VESSEL_CPU_REAL16,	/* real mode at CS:IP */
	VESSEL_CPU_PROT32,	/* 32-bit flat protected mode, paging off */
	VESSEL_CPU_LONG64,	/* 64-bit long mode, identity paging at CR3 */
};

/* A multiboot module: file contents plus the string the kernel sees. */
struct vessel_load_module {
	const char *name;	/* for error messages only */
	const void *data;
	size_t size;
	const char *cmdline;	/* NULL means "" */
};

struct vessel_load_opts {
	enum vessel_image_format format;	/* VESSEL_IMAGE_AUTO to detect */
	const char *cmdline;			/* NULL or "": none */
	const struct vessel_load_module *modules;
	unsigned int nr_modules;
	/* Linux only: the initial ramdisk (NULL: none); name for messages. */
	const struct vessel_load_module *initrd;
};

/* The GDT entries a loader describes in struct vessel_boot. */
#define VESSEL_BOOT_GDT_ENTRIES	4

/*
 * Initial vCPU state. Registers not listed are 0. In real mode @cs, @ds and
 * @ss are segment values (base = value << 4); otherwise they are selectors
 * into the GDT at @gdt_base, whose first descriptors @gdt repeats (so the
 * segment registers' hidden parts are made from exactly what the guest
 * would reload). @ds also applies to ES, FS and GS. The control registers
 * are the architectural values; the VMM ORs in whatever VMX fixes to 1.
 */
struct vessel_boot {
	enum vessel_image_format format;	/* what was actually loaded */
	enum vessel_cpu_mode mode;
	uint64_t rip;		/* real mode: offset into CS */
	uint64_t rsp;
	uint64_t rax;
	uint64_t rbx;
	uint64_t rsi;
	uint64_t rflags;
	uint16_t cs;
	uint16_t ds;
	uint16_t ss;
	uint64_t cr0;
	uint64_t cr3;
	uint64_t cr4;
	uint64_t efer;
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint64_t gdt[VESSEL_BOOT_GDT_ENTRIES];
	/*
	 * Linux: where the boot parameters are (bzImage: the zero page; PVH:
	 * the hvm_start_info), for the firmware tables' writer to give it the
	 * RSDP address; 0 for other formats.
	 */
	uint64_t linux_params;
	uint64_t image_start;	/* guest-physical extent of the image */
	uint64_t image_end;	/* (exclusive), modules and boot data aside */
};

/* Where flat binaries go and how they are entered, as in kvmtool. */
#define VESSEL_FLAT_LOAD_ADDR	0x10000ULL
#define VESSEL_FLAT_SEGMENT	0x1000
#define VESSEL_FLAT_STACK	0xfff0ULL	/* SS=0, just below the image */

/* Stack given to protected- and long-mode images, top in boot->rsp. */
#define VESSEL_BOOT_STACK_SIZE	0x4000ULL

#define VESSEL_MULTIBOOT_SEARCH		8192
#define VESSEL_MULTIBOOT_HEADER_MAGIC	0x1badb002U
#define VESSEL_MULTIBOOT_BOOT_MAGIC	0x2badb002U

/* Which format @img looks like; VESSEL_IMAGE_AUTO if none (flat has no magic). */
enum vessel_image_format vessel_image_detect(const void *img, size_t len);

/* Human name of a format, for messages ("ELF64", "multiboot", ...). */
const char *vessel_image_format_name(enum vessel_image_format format);

/*
 * Load @img into guest RAM per @opts (which may be NULL for defaults) and
 * fill @boot. On failure returns a negative errno (see above) and writes a
 * one-line message into @err (@errlen bytes, may be 0); guest RAM may then
 * have been partly written.
 */
int vessel_image_load(void *ram, uint64_t ram_size, const void *img,
		      size_t len, const struct vessel_load_opts *opts,
		      struct vessel_boot *boot, char *err, size_t errlen);

/*
 * Tell a Linux guest loaded into @ram (boot->format bzImage or PVH) where
 * the ACPI RSDP is: the firmware tables are written after the image. Other
 * formats have nowhere to say it; returns 0 for them. -EINVAL if @boot's
 * boot parameters lie outside @ram.
 */
int vessel_image_set_rsdp(void *ram, uint64_t ram_size,
			  const struct vessel_boot *boot, uint64_t rsdp);

#endif /* VESSEL_LOADER_H */
