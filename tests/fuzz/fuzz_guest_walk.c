// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the guest page-table walker (kmod/emulate/guest_walk.c),
 * which the module runs on guest-controlled page tables to fetch an MMIO
 * instruction and to copy string I/O.
 *
 * Input: a header (CR0, CR3, CR4, EFER, the address, four PDPTEs, the
 * physical-address width, the access kind, whether the PDPTEs are given,
 * the length to read), then guest-physical memory: guest address A below
 * 4 GiB reads byte A modulo its size, so small inputs can hold page tables
 * anywhere; above 4 GiB nothing is there.
 *
 * Checks, besides the sanitizers: the documented return values; a fault's
 * error code has only the defined bits and reports the access; a
 * translation lies below 2^MAXPHYADDR; vessel_guest_read_virt() returns
 * exactly the bytes the page-by-page translations point at.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest_walk.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

struct hdr {
	uint64_t cr0, cr3, cr4, efer, gva;
	uint64_t pdptrs[4];
	uint8_t maxphyaddr;
	uint8_t access;
	uint8_t use_pdptrs;
	uint8_t len;
};

struct mem {
	const uint8_t *p;
	size_t size;
};

static int read_gpa(void *opaque, u64 gpa, void *buf, unsigned int len)
{
	const struct mem *m = opaque;
	uint8_t *out = buf;
	unsigned int i;

	if (!m->size || gpa >= (1ULL << 32) || gpa + len > (1ULL << 32))
		return -ENOENT;
	for (i = 0; i < len; i++)
		out[i] = m->p[(gpa + i) % m->size];
	return 0;
}

static void ret_check(int ret, u32 pf_error, u32 access)
{
	CHECK(ret == 0 || ret == -EFAULT || ret == -EINVAL ||
	      ret == -EOPNOTSUPP || ret == -ENOENT || ret == -ENXIO);
	if (ret == -EFAULT) {
		CHECK(!(pf_error & ~0x1fU));
		CHECK((pf_error & (VESSEL_PFERR_WRITE | VESSEL_PFERR_USER)) ==
		      (access & (VESSEL_WALK_WRITE | VESSEL_WALK_USER)));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vessel_walk_env env;
	struct mem m;
	struct hdr h;
	unsigned int len, i, width;
	u32 pf_error = 0, access;
	uint8_t *buf;
	u64 gpa;
	int ret;

	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	m.p = data + sizeof(h);
	m.size = size - sizeof(h);
	env = (struct vessel_walk_env){
		.cr0 = h.cr0, .cr3 = h.cr3, .cr4 = h.cr4, .efer = h.efer,
		.maxphyaddr = h.maxphyaddr, .read_gpa = read_gpa, .opaque = &m,
		.pdptrs = h.use_pdptrs & 1 ? h.pdptrs : NULL,
	};
	access = h.access & (VESSEL_WALK_WRITE | VESSEL_WALK_USER | VESSEL_WALK_FETCH);
	width = env.maxphyaddr ? env.maxphyaddr : 46;

	ret = vessel_gva_to_gpa(&env, h.gva, access, &gpa, &pf_error);
	ret_check(ret, pf_error, access);
	if (!ret && width <= 52)
		CHECK(gpa < (1ULL << width) || !(env.cr0 & (1ULL << 31)));

	/* Exactly @len bytes: a write past them is an ASan error. */
	len = 1 + h.len * 17;
	buf = malloc(len);
	ret = vessel_guest_read_virt(&env, h.gva, buf, len, access, &pf_error);
	ret_check(ret, pf_error, access);
	if (!ret) {
		/* The bytes are those of the page-by-page translations. */
		for (i = 0; i < len; i++) {
			uint8_t b;

			if (!i || !((h.gva + i) & 0xfff)) {
				ret = vessel_gva_to_gpa(&env, h.gva + i, access,
							&gpa, &pf_error);
				CHECK(!ret);
			} else {
				gpa++;
			}
			CHECK(!read_gpa(&m, gpa, &b, 1));
			CHECK(buf[i] == b);
		}
	}
	free(buf);
	return 0;
}
