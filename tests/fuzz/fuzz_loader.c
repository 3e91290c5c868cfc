// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the guest image loaders (ELF32, ELF64, Multiboot v1
 * and flat binaries; LOADER_SRCS in the Makefile), which `vessel run` runs
 * on whatever file it is given.
 *
 * Input: a 4-byte header - the format to ask for (auto-detect, flat, ELF32,
 * ELF64, multiboot), the guest RAM size, how many multiboot modules, the
 * command line's length - then the command line, then per module a 2-byte
 * length and its bytes, then the image.
 *
 * Checks, besides the sanitizers (guest RAM is a heap block of exactly its
 * size): the documented errors; an error message is one line;
 * a successful load describes a state inside guest RAM.
 */
#include "image_load.h"

#define RAM_MAX	0x800000

static uint8_t ram_block[RAM_MAX];

static const uint64_t ram_sizes[] = {
	0x1000, 0x10000, 0xa0000, 0x100000, 0x101000, 0x200000, 0x400000,
	RAM_MAX,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum vessel_image_format formats[] = {
		VESSEL_IMAGE_AUTO, VESSEL_IMAGE_FLAT, VESSEL_IMAGE_ELF32,
		VESSEL_IMAGE_ELF64, VESSEL_IMAGE_MULTIBOOT,
	};
	struct vessel_load_module mods[3];
	struct vessel_load_opts opts = { 0 };
	struct vessel_boot boot;
	char *cmdline = NULL, *mcmd[3] = { 0 };
	unsigned int nr_mods, cmd_len, i;
	uint64_t ram_size;
	uint8_t *ram;

	if (size < 4)
		return 0;
	opts.format = formats[data[0] % 5];
	ram_size = ram_sizes[data[1] % 8];
	nr_mods = data[2] % 4;
	cmd_len = data[3];
	data += 4;
	size -= 4;
	if (cmd_len) {
		cmd_len = cmd_len < size ? cmd_len : size;
		cmdline = calloc(1, cmd_len + 1);
		memcpy(cmdline, data, cmd_len);
		data += cmd_len;
		size -= cmd_len;
		opts.cmdline = cmdline;
	}
	for (i = 0; i < nr_mods; i++) {
		size_t mlen;

		if (size < 2)
			break;
		mlen = data[0] | data[1] << 8;
		data += 2;
		size -= 2;
		mlen = mlen < size ? mlen : size;
		mods[i] = (struct vessel_load_module){
			.name = "module", .data = data, .size = mlen,
			.cmdline = i == 1 ? "module one" : NULL,
		};
		if (i == 2) {
			mcmd[i] = calloc(1, 300);
			memset(mcmd[i], 'x', 299);	/* a long one */
			mods[i].cmdline = mcmd[i];
		}
		data += mlen;
		size -= mlen;
	}
	opts.modules = mods;
	opts.nr_modules = i;

	ram = fuzz_guest_ram(ram_block, RAM_MAX, ram_size);
	if (!fuzz_image_load(ram, ram_size, data, size, &opts, &boot)) {
		CHECK(boot.mode <= VESSEL_CPU_LONG64);
		if (boot.mode != VESSEL_CPU_REAL16) {
			CHECK(boot.gdt_base + boot.gdt_limit < ram_size);
			CHECK(boot.rsp <= ram_size);
		}
		if (boot.mode == VESSEL_CPU_LONG64)
			CHECK(boot.cr3 < ram_size);
	}
	free(cmdline);
	for (i = 0; i < 3; i++)
		free(mcmd[i]);
	return 0;
}
