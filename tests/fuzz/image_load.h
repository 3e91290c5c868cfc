/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the image-loader harnesses (fuzz_loader.c, fuzz_bzimage.c) share:
 * guest RAM as the end of one static block whose rest is poisoned, and one
 * load of an image copied to a heap block of exactly its size, with the
 * checks every loader answers to.
 */
#ifndef VESSEL_FUZZ_IMAGE_LOAD_H
#define VESSEL_FUZZ_IMAGE_LOAD_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "loader.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

/*
 * The last @ram_size bytes of @block (@max bytes), the rest of it poisoned,
 * so that ASan sees an access on either side.  Not cleared between inputs:
 * a loader must not depend on what RAM held, and a run keeps to thousands
 * of inputs a second.
 */
static inline uint8_t *fuzz_guest_ram(uint8_t *block, size_t max,
				      uint64_t ram_size)
{
	ASAN_UNPOISON_MEMORY_REGION(block, max);
	ASAN_POISON_MEMORY_REGION(block, max - ram_size);
	return block + max - ram_size;
}

/*
 * Loads the @len bytes at @data into @ram.  Every loader answers with one
 * of the documented errors and a one-line message, or with a state whose
 * image lies inside RAM.
 */
static inline int fuzz_image_load(uint8_t *ram, uint64_t ram_size,
				  const uint8_t *data, size_t len,
				  const struct vessel_load_opts *opts,
				  struct vessel_boot *boot)
{
	uint8_t *img = malloc(len ? len : 1);
	char err[160] = "";
	int ret;

	memcpy(img, data, len);
	vessel_image_detect(img, len);
	memset(boot, 0xa5, sizeof(*boot));
	ret = vessel_image_load(ram, ram_size, img, len, opts, boot, err,
				sizeof(err));
	free(img);
	CHECK(ret == 0 || ret == -ENOEXEC || ret == -EINVAL || ret == -ENOSPC ||
	      ret == -ENOMEM);
	if (ret) {
		size_t n = strnlen(err, sizeof(err));

		CHECK(n > 0 && n < sizeof(err));
		CHECK(!memchr(err, '\n', n));
	} else {
		CHECK(boot->image_start <= boot->image_end);
		CHECK(boot->image_end <= ram_size);
	}
	return ret;
}

#endif
