// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the Linux loaders (user/boot/bzimage.c, the 64-bit
 * boot protocol, and pvh.c, the PVH entry of an ELF vmlinux; loader_SRCS
 * in the Makefile), which `vessel run` runs on whatever kernel and initrd
 * it is given.
 *
 * Input: a 4-byte header - the format to ask for (auto-detect, bzImage,
 * PVH) and the guest RAM size, the command line's length, the initrd's
 * length (two bytes) - then the command line, the initrd, and the image.
 * The seeds (mkseeds.py) are small bzImages of protocols 2.12 to 2.15 and
 * a PVH vmlinux.
 *
 * Checks, besides the sanitizers (guest RAM is a heap block of exactly its
 * size): the documented errors, one line each; a successful bzImage load
 * enters in long mode at the kernel + 0x200 with RSI at a zero page inside
 * RAM whose command line, initrd and e820 map lie inside RAM, the initrd
 * at or below initrd_addr_max; a successful PVH load enters in 32-bit mode
 * with EBX at its start info inside RAM; and the RSDP can be given to
 * either.
 */
#include <asm/bootparam.h>

#include "image_load.h"

#define MIB	0x100000ULL
#define RAM_MAX	(32 * MIB)

static uint8_t ram_block[RAM_MAX];

static const uint64_t ram_sizes[] = {
	MIB, 2 * MIB, 4 * MIB, 8 * MIB, 17 * MIB, 18 * MIB, 24 * MIB, RAM_MAX,
};

/* [start, start + len) lies inside guest RAM, without wrapping. */
static int inside(uint64_t start, uint64_t len, uint64_t ram_size)
{
	return start <= ram_size && len <= ram_size - start;
}

static void check_bzimage(const uint8_t *ram, uint64_t ram_size,
			  const struct vessel_boot *boot, size_t cmd_len,
			  size_t initrd_len)
{
	const struct boot_params *bp;
	uint64_t cmd, rd;
	unsigned int i;

	CHECK(boot->mode == VESSEL_CPU_LONG64);
	CHECK(boot->rip == boot->image_start + 0x200);
	CHECK(boot->rsi == boot->linux_params);
	CHECK(inside(boot->rsi, sizeof(*bp), ram_size));
	CHECK(boot->cr3 < ram_size);
	bp = (const struct boot_params *)(ram + boot->rsi);
	cmd = bp->hdr.cmd_line_ptr | (uint64_t)bp->ext_cmd_line_ptr << 32;
	CHECK(inside(cmd, cmd_len + 1, ram_size));
	CHECK(ram[cmd + cmd_len] == 0);
	rd = bp->hdr.ramdisk_image | (uint64_t)bp->ext_ramdisk_image << 32;
	if (initrd_len) {
		CHECK(bp->hdr.ramdisk_size == initrd_len);
		CHECK(inside(rd, initrd_len, ram_size));
		CHECK(rd + initrd_len - 1 <= bp->hdr.initrd_addr_max);
		/* Neither the kernel's init_size nor the zero page below it. */
		CHECK(rd >= boot->image_end || rd + initrd_len <= boot->image_start);
	}
	CHECK(bp->e820_entries <= E820_MAX_ENTRIES_ZEROPAGE);
	for (i = 0; i < bp->e820_entries; i++)
		CHECK(inside(bp->e820_table[i].addr, bp->e820_table[i].size,
			     ram_size));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum vessel_image_format formats[] = {
		VESSEL_IMAGE_AUTO, VESSEL_IMAGE_BZIMAGE, VESSEL_IMAGE_PVH,
	};
	struct vessel_load_module initrd;
	struct vessel_load_opts opts = { 0 };
	struct vessel_boot boot;
	size_t cmd_len, initrd_len;
	uint8_t *ram, *rd = NULL;
	char *cmdline = NULL;
	uint64_t ram_size;

	if (size < 4)
		return 0;
	opts.format = formats[(data[0] & 0xf) % 3];
	ram_size = ram_sizes[data[0] >> 5];
	cmd_len = data[1];
	initrd_len = data[2] | data[3] << 8;
	data += 4;
	size -= 4;
	if (cmd_len) {
		cmd_len = cmd_len < size ? cmd_len : size;
		cmdline = calloc(1, cmd_len + 1);
		memcpy(cmdline, data, cmd_len);
		data += cmd_len;
		size -= cmd_len;
		/* The loader sees a C string: its length is up to a NUL. */
		cmd_len = strlen(cmdline);
		opts.cmdline = cmdline;
	}
	if (initrd_len) {
		initrd_len = initrd_len < size ? initrd_len : size;
		rd = malloc(initrd_len ? initrd_len : 1);
		memcpy(rd, data, initrd_len);
		initrd = (struct vessel_load_module){
			.name = "initrd", .data = rd, .size = initrd_len,
		};
		opts.initrd = &initrd;
		data += initrd_len;
		size -= initrd_len;
	}

	ram = fuzz_guest_ram(ram_block, RAM_MAX, ram_size);
	if (!fuzz_image_load(ram, ram_size, data, size, &opts, &boot)) {
		if (boot.format == VESSEL_IMAGE_BZIMAGE)
			check_bzimage(ram, ram_size, &boot, cmd_len,
				      opts.initrd ? initrd_len : 0);
		if (boot.format == VESSEL_IMAGE_PVH) {
			CHECK(boot.mode == VESSEL_CPU_PROT32);
			CHECK(boot.rbx == boot.linux_params);
			CHECK(inside(boot.rbx, 56, ram_size));
		}
		/* The firmware tables' writer tells it the RSDP. */
		CHECK(vessel_image_set_rsdp(ram, ram_size, &boot, 0xf0000) == 0);
	}
	free(rd);
	free(cmdline);
	return 0;
}
