// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the snapshot file parser (user/vmm/snapfile.c), which
 * `vessel restore` and `vessel snapshot check` run on whatever file they
 * are given, and the device models' loads that then read its device
 * records (user/hw/: the 16550 UART, the I/O APIC, the 8259 pair, the
 * Hyper-V debugger link).
 *
 * Input: a whole file; its memory is whatever follows the state. Checks,
 * besides the sanitizers: a refusal is one line; a parsed file's counts,
 * sizes and ranges agree with its header and lie inside the input; every
 * device record either loads into a fresh device of its name or is
 * refused with one line, never both half.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hw/hv_debug.h"
#include "hw/i8259.h"
#include "hw/ioapic.h"
#include "hw/uart16550.h"
#include "vmm/snapfile.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static int no_msi(void *opaque, const struct vessel_msi *msi)
{
	return 0;
}

static void one_line(const char *err)
{
	CHECK(err[0] && !strchr(err, '\n'));
}

static void load_device(const struct snap_device *d)
{
	static struct hv_debug hv;	/* 64 KiB of datagram */
	struct uart uart;
	struct ioapic ioapic;
	struct pic pic;
	char err[256] = "";
	int r;

	if (!strcmp(d->name, "uart16550")) {
		uart_init(&uart, NULL, NULL);
		r = uart_load(&uart, d->record, d->len, err, sizeof(err));
	} else if (!strcmp(d->name, "ioapic")) {
		ioapic_init(&ioapic, 4, no_msi, NULL);
		r = ioapic_load(&ioapic, d->record, d->len, err, sizeof(err));
	} else if (!strcmp(d->name, "i8259")) {
		pic_init(&pic, no_msi, NULL);
		r = pic_load(&pic, d->record, d->len, err, sizeof(err));
	} else if (!strcmp(d->name, "hv_debug")) {
		memset(&hv, 0, sizeof(hv));
		hv.kind = d->len & 1 ? HV_DEBUG_UDP : HV_DEBUG_NONE;
		r = hv_debug_load(&hv, d->record, d->len, err, sizeof(err));
	} else {
		return;
	}
	if (r)
		one_line(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snap s;
	char err[256];
	uint64_t chunks = 0;
	unsigned int i;

	if (snap_parse(data, size, size, &s, err, sizeof(err))) {
		one_line(err);
		return 0;
	}
	CHECK(s.state_end <= size && s.h.file_size == size);
	CHECK(s.h.nr_vcpus >= 1 && s.h.nr_vcpus <= SNAP_MAX_VCPUS);
	CHECK(s.nr_devices <= SNAP_MAX_DEVICES);
	CHECK(s.cfg.mem == s.h.ram_size && s.cfg.cpus == s.h.nr_vcpus);
	for (i = 0; i < s.h.nr_ram; i++) {
		CHECK(s.h.ram[i].offset >= s.state_end);
		CHECK(s.h.ram[i].offset + s.h.ram[i].size <= size);
		chunks += snap_ram_chunks(&s.h.ram[i], s.h.chunk_size);
	}
	CHECK(chunks == s.nr_chunks);
	for (i = 0; i < s.nr_devices; i++) {
		CHECK(s.devices[i].record >= data &&
		      s.devices[i].record + s.devices[i].len <= data + s.state_end);
		load_device(&s.devices[i]);
	}
	snap_free(&s);
	return 0;
}
