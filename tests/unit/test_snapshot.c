// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the snapshot file format (user/vmm/snapfile.c): a
 * file written by the encoder parses back to what went in, and every kind
 * of bad file is refused with one line naming the fault: empty, not a
 * snapshot, another version, another architecture, truncated, corrupt
 * anywhere, and files whose checksums are right but whose sizes and
 * counts lie. Random corruption never crashes the parser (ASan, UBSan).
 */
#include <errno.h>
#include <stdlib.h>

#include "hw/hv_debug.h"
#include "hw/i8259.h"
#include "hw/ioapic.h"
#include "hw/uart16550.h"
#include "tap.h"
#include "vmm/snapfile.h"

#define RAM_SIZE	(2 * SNAP_CHUNK_SIZE + 3 * SNAP_PAGE_SIZE)
#define NR_VCPUS	2

/* A file in memory: its bytes and size. */
struct file {
	uint8_t *buf;
	size_t len;
};

static const struct vessel_cpuid_entry cpuid[] = {
	/* "GenuineIntel": EBX, EDX, ECX */
	{ .function = 0, .eax = 0xd, .ebx = 0x756e6547, .ecx = 0x6c65746e,
	  .edx = 0x49656e69 },
	{ .function = 1, .eax = 0x000306c3, .ecx = 0x80000001, .edx = 0x178bfbff },
	{ .function = 7, .flags = VESSEL_CPUID_SIGNIFICANT_INDEX, .ebx = 0x29 },
	{ .function = 0xd, .flags = VESSEL_CPUID_SIGNIFICANT_INDEX, .eax = 7 },
	{ .function = 0x40000000, .eax = 0x40000001 },
};

static void fill_cpu(struct snap_cpu *c, unsigned int seed)
{
	memset(c, 0, sizeof(*c));
	c->state.gprs.regs[VESSEL_GPR_RAX] = 0x1111 * (seed + 1);
	c->state.gprs.rip = 0x100000 + seed;
	c->state.gprs.rflags = 2;
	c->state.crs.cr0 = 0x11;
	c->state.msrs[VESSEL_MSR_PAT] = 0x0007040600070406ULL;
	c->state.fpu.xsave[0] = 0x7f;
	c->state.fpu.xsave[4095] = seed;
	c->lapic.apic_base = 0xfee00900;
	c->lapic.timer_ns = 1000 + seed;
	c->lapic.regs[0x20] = seed;
	c->mp.mp_state = seed ? VESSEL_MP_STATE_WAIT_SIPI : 0;
}

/*
 * The snapshot of a machine with @cpus vCPUs, with or without a local
 * APIC, @provider, two devices and @ram_size bytes of memory (a multiple
 * of the page), its first and last byte and one in its second chunk not
 * zero.
 */
static void make_file_of(struct file *f, uint32_t provider, uint32_t cpus,
			 bool lapic, uint64_t ram_size)
{
	char *mods[1] = { NULL }, *mod_cmds[1] = { NULL };
	struct snap_config cfg = {
		.mem = ram_size, .cpus = cpus, .irqchip = lapic ? 1 : 2, .format = 4,
		.image = "/guest.elf", .cmdline = "console=ttyS0",
		.nr_modules = 1, .module_paths = mods, .module_cmdlines = mod_cmds,
	};
	struct snap_writer *w = calloc(1, sizeof(*w));
	struct vessel_pv_state pv = { 0 };
	struct vessel_pv_hv_msg_queue q = { 0 };
	struct hv_debug *hv = calloc(1, sizeof(*hv));
	struct hw_state_out *o;
	struct ioapic ioapic;
	struct uart uart;
	struct pic pic;
	struct snap_cpu cpu;
	uint64_t sums[3], i, n;
	uint8_t *state, *ram;
	size_t state_len;

	mods[0] = "initrd";
	snap_writer_init(w);
	w->h.flags = lapic ? SNAP_F_LAPIC : 0;
	w->h.provider = provider;
	w->h.provider_version = 1;
	w->h.nr_vcpus = cpus;
	w->h.tsc_hz = 2000000000;
	w->h.chunk_size = SNAP_CHUNK_SIZE;
	w->h.nr_ram = 1;
	w->h.ram[0].size = ram_size;
	if (snap_header_cpu(&w->h, cpuid, ARRAY_SIZE(cpuid)))
		abort();
	snap_put_config(snap_section(w, SNAP_SEC_CONFIG, 0), &cfg);
	snap_put_cpuid(snap_section(w, SNAP_SEC_CPUID, 0), cpuid,
		       ARRAY_SIZE(cpuid));
	pv.kvm_vm.clock_tsc = 12345;
	snap_put_vm(snap_section(w, SNAP_SEC_VM, 0), 0x123456789ULL, provider,
		    &pv);
	for (i = 0; i < cpus; i++) {
		o = snap_section(w, SNAP_SEC_VCPU, i);
		fill_cpu(&cpu, i);
		snap_put_cpu(o, &cpu, lapic);
		pv.kvm_vcpu.system_time_msr = 0x5001 + i;
		snap_put_vcpu_pv(o, provider, &pv, &q);
		fill_cpu(&cpu, 100 + i);
		snap_put_cpu(snap_section(w, SNAP_SEC_POWER_ON, i), &cpu, lapic);
	}
	/* The board's devices, as they save themselves. */
	uart_init(&uart, NULL, NULL);
	uart_save(&uart, snap_section(w, SNAP_SEC_DEVICE, 0));
	if (lapic) {
		ioapic_init(&ioapic, cpus, NULL, NULL);
		ioapic_save(&ioapic, snap_section(w, SNAP_SEC_DEVICE, 1));
		pic_init(&pic, NULL, NULL);
		pic_save(&pic, snap_section(w, SNAP_SEC_DEVICE, 2));
	}
	hv_debug_open(hv, NULL, NULL, 0);
	hv_debug_save(hv, snap_section(w, SNAP_SEC_DEVICE, lapic ? 3 : 1));
	hv_debug_close(hv);
	free(hv);
	if (snap_layout(w))
		abort();
	ram = calloc(1, ram_size);
	ram[0] = 1;
	if (ram_size > SNAP_CHUNK_SIZE)
		ram[SNAP_CHUNK_SIZE + 7] = 2;
	ram[ram_size - 1] = 3;
	for (i = 0; i * SNAP_CHUNK_SIZE < ram_size; i++) {
		n = ram_size - i * SNAP_CHUNK_SIZE;
		sums[i] = snap_checksum(ram + i * SNAP_CHUNK_SIZE,
					n < SNAP_CHUNK_SIZE ? n : SNAP_CHUNK_SIZE);
	}
	state = snap_encode(w, sums, &state_len);
	f->len = w->h.file_size;
	f->buf = calloc(1, f->len);
	memcpy(f->buf, state, state_len);
	memcpy(f->buf + w->h.ram[0].offset, ram, ram_size);
	free(ram);
	free(state);
	snap_writer_free(w);
	free(w);
}

static void make_file(struct file *f, uint32_t provider)
{
	make_file_of(f, provider, NR_VCPUS, true, RAM_SIZE);
}

static int parse(const struct file *f, struct snap *s, char *err, size_t n)
{
	return snap_parse(f->buf, f->len, f->len, s, err, n);
}

/* The message of a file that must be refused; "" if it was taken. */
static const char *refusal(const struct file *f)
{
	static char err[256];
	struct snap s;

	if (!parse(f, &s, err, sizeof(err))) {
		snap_free(&s);
		return "";
	}
	return err;
}

static uint64_t le(const struct file *f, size_t off, unsigned int n)
{
	return snap_get_le(f->buf + off, n);
}

/* After an edit of the header: its checksum made right again. */
static void fix_header(struct file *f)
{
	snap_put_le(f->buf + SNAP_HEADER_SIZE - 8,
		    snap_checksum(f->buf, SNAP_HEADER_SIZE - 8), 8);
}

/* The table entry of section @i. */
static uint8_t *entry(struct file *f, unsigned int i)
{
	return f->buf + SNAP_HEADER_SIZE + i * SNAP_SECTION_ENTRY;
}

/* After an edit of the table or a section: every checksum right again. */
static void fix_all(struct file *f)
{
	uint32_t nr = le(f, 100, 4), i;

	for (i = 0; i < nr; i++) {
		uint8_t *e = entry(f, i);
		uint64_t off = snap_get_le(e + 8, 8), size = snap_get_le(e + 16, 8);

		if (off + size <= f->len)
			snap_put_le(e + 24, snap_checksum(f->buf + off, size), 8);
	}
	snap_put_le(f->buf + 144, snap_checksum(entry(f, 0), nr * SNAP_SECTION_ENTRY), 8);
	fix_header(f);
}

/* The first section of @type. */
static unsigned int find(struct file *f, uint32_t type)
{
	uint32_t i;

	for (i = 0; snap_get_le(entry(f, i), 4) != type; i++)
		;
	return i;
}

static void test_round_trip(void)
{
	struct file f;
	struct snap s;
	char err[256];

	make_file(&f, VESSEL_PV_KVM);
	CHECK_EQ(parse(&f, &s, err, sizeof(err)), 0);
	CHECK_EQ(s.h.major, SNAP_MAJOR);
	CHECK_EQ(s.h.nr_vcpus, NR_VCPUS);
	CHECK_STR_EQ(s.h.vendor, "GenuineIntel");
	CHECK_EQ(s.h.family, 6);
	CHECK_EQ(s.h.model, 0x3c);
	CHECK_EQ(s.h.stepping, 3);
	CHECK_EQ(s.h.features[2], 0x29);
	CHECK_EQ(s.h.xcr0, 7);
	CHECK_EQ(s.h.ram_size, RAM_SIZE);
	CHECK_EQ(s.h.ram[0].offset % SNAP_PAGE_SIZE, 0);
	CHECK_EQ(s.state_end, s.h.ram[0].offset);
	CHECK_STR_EQ(s.cfg.image, "/guest.elf");
	CHECK_STR_EQ(s.cfg.cmdline, "console=ttyS0");
	CHECK(!s.cfg.hv_debug);
	CHECK_EQ(s.cfg.nr_modules, 1);
	CHECK_STR_EQ(s.cfg.module_paths[0], "initrd");
	CHECK(!s.cfg.module_cmdlines[0]);
	CHECK_EQ(s.nr_cpuid, ARRAY_SIZE(cpuid));
	CHECK(!memcmp(s.cpuid, cpuid, sizeof(cpuid)));
	CHECK_EQ(s.tsc, 0x123456789ULL);
	CHECK_EQ(s.pv_vm.kvm_vm.clock_tsc, 12345);
	CHECK_EQ(s.vcpus[1].cpu.state.gprs.regs[VESSEL_GPR_RAX], 0x2222);
	CHECK_EQ(s.vcpus[1].cpu.state.fpu.xsave[4095], 1);
	CHECK_EQ(s.vcpus[1].cpu.lapic.timer_ns, 1001);
	CHECK_EQ(s.vcpus[1].cpu.mp.mp_state, VESSEL_MP_STATE_WAIT_SIPI);
	CHECK_EQ(s.vcpus[1].pv.kvm_vcpu.system_time_msr, 0x5002);
	CHECK_EQ(s.vcpus[1].pv.provider, VESSEL_PV_KVM);
	CHECK_EQ(s.power_on[0].state.gprs.rip, 0x100000 + 100);
	CHECK_EQ(s.nr_devices, 4);
	CHECK_STR_EQ(s.devices[0].name, "uart16550");
	CHECK_STR_EQ(s.devices[3].name, "hv_debug");
	CHECK_EQ(s.devices[3].len, HW_STATE_HEADER_SIZE + 4);
	CHECK_EQ(s.nr_chunks, 3);
	CHECK_EQ(s.chunk_sums[1], snap_checksum(f.buf + s.h.ram[0].offset +
						SNAP_CHUNK_SIZE, SNAP_CHUNK_SIZE));
	snap_free(&s);
	free(f.buf);
}

static void test_hyperv_round_trip(void)
{
	struct file f;

	make_file(&f, VESSEL_PV_HYPERV);
	CHECK_STR_EQ(refusal(&f), "");
	free(f.buf);
}

static void test_empty_and_foreign(void)
{
	struct file f;
	char err[128];
	struct snap s;

	make_file(&f, VESSEL_PV_KVM);
	CHECK_EQ(snap_parse(f.buf, 0, 0, &s, err, sizeof(err)), -EINVAL);
	CHECK_STR_EQ(err, "an empty file, not a snapshot");
	CHECK_EQ(snap_parse(f.buf, 3, 3, &s, err, sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, "not a Vessel snapshot");
	f.buf[1] ^= 0x20;
	CHECK_CONTAINS(refusal(&f), "not a Vessel snapshot");
	free(f.buf);
}

/* A newer minor or any other major is refused, naming the version. */
static void test_versions(void)
{
	struct file f;
	struct snap s;
	char err[256];

	make_file(&f, VESSEL_PV_KVM);
	snap_put_le(f.buf + 8, SNAP_MAJOR + 1, 2);
	snap_put_le(f.buf + 10, 0, 2);
	fix_header(&f);
	CHECK_EQ(parse(&f, &s, err, sizeof(err)), -EPROTONOSUPPORT);
	CHECK_CONTAINS(err, "snapshot format 2.0: this vessel reads 1.0 to 1.1; the file needs a vessel that reads format 2.0");
	snap_put_le(f.buf + 8, 0, 2);
	snap_put_le(f.buf + 10, 9, 2);
	fix_header(&f);
	CHECK_EQ(parse(&f, &s, err, sizeof(err)), -EPROTONOSUPPORT);
	CHECK_CONTAINS(err, "needs a vessel that reads format 0.9");
	snap_put_le(f.buf + 8, SNAP_MAJOR, 2);
	snap_put_le(f.buf + 10, SNAP_MINOR + 1, 2);
	/* Not even the checksum is looked at: a newer header may move it. */
	CHECK_EQ(parse(&f, &s, err, sizeof(err)), -EPROTONOSUPPORT);
	CHECK_CONTAINS(err, "format 1.2");
	free(f.buf);
}

static void test_wrong_arch(void)
{
	struct file f;

	make_file(&f, VESSEL_PV_KVM);
	snap_put_le(f.buf + 16, 2, 4);
	fix_header(&f);
	CHECK_CONTAINS(refusal(&f), "architecture 2; this vessel runs x86-64 guests");
	free(f.buf);
}

static void test_truncated(void)
{
	struct file f;
	struct snap s;
	char err[256];

	make_file(&f, VESSEL_PV_KVM);
	CHECK_EQ(snap_parse(f.buf, f.len, f.len - 1, &s, err, sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, "its header says");
	CHECK_CONTAINS(err, "truncated");
	CHECK_EQ(snap_parse(f.buf, 100, 100, &s, err, sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, "truncated: 100 bytes, fewer than the 512 of the header");
	/* The whole file's size is right, but only part of the state came. */
	CHECK_EQ(snap_parse(f.buf, 1000, f.len, &s, err, sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, "truncated: 1000 bytes");
	free(f.buf);
}

static void test_corrupt(void)
{
	struct file f;
	unsigned int v;

	make_file(&f, VESSEL_PV_KVM);
	f.buf[30] ^= 1;
	CHECK_CONTAINS(refusal(&f), "the header's checksum does not match");
	f.buf[30] ^= 1;
	entry(&f, 0)[9] ^= 1;
	CHECK_CONTAINS(refusal(&f), "the section table's checksum does not match");
	entry(&f, 0)[9] ^= 1;
	v = find(&f, SNAP_SEC_VCPU);
	f.buf[snap_get_le(entry(&f, v) + 8, 8) + 100] ^= 1;
	CHECK_CONTAINS(refusal(&f), "the vCPU 0 section's checksum does not match: it is corrupt");
	free(f.buf);
}

/* Checksums all right, sizes and counts lying: refused all the same. */
static void test_sizes_lie(void)
{
	struct file f;
	uint8_t *e;
	unsigned int i;

	make_file(&f, VESSEL_PV_KVM);
	CHECK_STR_EQ(refusal(&f), "");
	/* A vCPU section 8 bytes short: the next starts where it did. */
	e = entry(&f, find(&f, SNAP_SEC_VCPU));
	snap_put_le(e + 16, snap_get_le(e + 16, 8) - 8, 8);
	fix_all(&f);
	CHECK_CONTAINS(refusal(&f), "the vCPU 0 section: ");
	CHECK_CONTAINS(refusal(&f), "a vCPU of this VM has");
	free(f.buf);

	/* One more vCPU than there are sections for. */
	make_file(&f, VESSEL_PV_KVM);
	snap_put_le(f.buf + 96, NR_VCPUS + 1, 4);
	fix_header(&f);
	CHECK_CONTAINS(refusal(&f), "vCPU sections, the file needs 3");
	free(f.buf);

	/* More memory than the ranges hold. */
	make_file(&f, VESSEL_PV_KVM);
	snap_put_le(f.buf + 112, RAM_SIZE * 2, 8);
	fix_header(&f);
	CHECK_CONTAINS(refusal(&f), "the memory ranges hold");
	free(f.buf);

	/* A section that reaches into memory. */
	make_file(&f, VESSEL_PV_KVM);
	e = entry(&f, find(&f, SNAP_SEC_MEMORY));
	snap_put_le(e + 16, 1 << 20, 8);
	fix_all(&f);
	CHECK_CONTAINS(refusal(&f), "beyond the state's");
	free(f.buf);

	/* A string length that runs past its section. */
	make_file(&f, VESSEL_PV_KVM);
	i = snap_get_le(entry(&f, find(&f, SNAP_SEC_CONFIG)) + 8, 8);
	snap_put_le(f.buf + i + 20, 4000, 4);
	fix_all(&f);
	CHECK_CONTAINS(refusal(&f), "the config section: ");
	free(f.buf);

	/* A device record whose own size disagrees with its section's. */
	make_file(&f, VESSEL_PV_KVM);
	i = snap_get_le(entry(&f, find(&f, SNAP_SEC_DEVICE)) + 8, 8);
	snap_put_le(f.buf + i + 20, 400, 4);
	fix_all(&f);
	CHECK_CONTAINS(refusal(&f), "size field disagrees");
	free(f.buf);

	/* 2^32 - 1 sections. */
	make_file(&f, VESSEL_PV_KVM);
	snap_put_le(f.buf + 100, 0xffffffff, 4);
	fix_header(&f);
	CHECK_CONTAINS(refusal(&f), "sections: the format allows");
	free(f.buf);
}

/* A checked field out of range, with the checksums right. */
static void test_bad_fields(void)
{
	struct file f;
	uint64_t off;

	make_file(&f, VESSEL_PV_KVM);
	off = snap_get_le(entry(&f, find(&f, SNAP_SEC_VCPU)) + 8, 8);
	/* The events part: after GPRS, SEGS, CRS, DRS and the MSRs. */
	f.buf[off + 144 + 160 + 64 + 64 + 8 * VESSEL_NR_MSRS + 8] = 7;
	fix_all(&f);
	CHECK_CONTAINS(refusal(&f), "the events part");
	free(f.buf);

	make_file(&f, VESSEL_PV_KVM);
	off = snap_get_le(entry(&f, find(&f, SNAP_SEC_CPUID)) + 8, 8);
	f.buf[off + 8 + 32 + 12] ^= 1;	/* leaf 1's EAX */
	fix_all(&f);
	CHECK_CONTAINS(refusal(&f), "disagrees with the header");
	free(f.buf);
}

/* Random bytes anywhere: an error or a file, never a crash. */
static void test_random_corruption(void)
{
	struct file f, g;
	unsigned int i, n, seed = 1;
	struct snap s;
	char err[256];

	make_file(&f, VESSEL_PV_HYPERV);
	g.len = f.len;
	g.buf = malloc(f.len);
	for (i = 0; i < 3000; i++) {
		memcpy(g.buf, f.buf, f.len);
		for (n = 0; n < 1 + i % 4; n++) {
			seed = seed * 1103515245 + 12345;
			g.buf[(seed >> 8) % 20000] = seed >> 24;
		}
		if (i % 2)
			fix_all(&g);
		if (!parse(&g, &s, err, sizeof(err)))
			snap_free(&s);
		else
			CHECK(err[0] && !strchr(err, '\n'));
	}
	free(g.buf);
	free(f.buf);
}

/*
 * --seeds DIR: the fuzz harness's seed corpus (tests/fuzz/corpus/snapshot/),
 * small files of one page of memory: a KVM VM with two vCPUs, a Hyper-V
 * one, and one without a local APIC.
 */
static int write_seeds(const char *dir)
{
	static const struct {
		const char *name;
		uint32_t provider, cpus;
		bool lapic;
	} seeds[] = {
		{ "kvm-2cpus", VESSEL_PV_KVM, 2, true },
		{ "hyperv", VESSEL_PV_HYPERV, 1, true },
		{ "none-no-apic", VESSEL_PV_NONE, 1, false },
	};
	char path[512];
	unsigned int i;
	struct file f;
	FILE *out;

	for (i = 0; i < ARRAY_SIZE(seeds); i++) {
		make_file_of(&f, seeds[i].provider, seeds[i].cpus, seeds[i].lapic,
			     SNAP_PAGE_SIZE);
		snprintf(path, sizeof(path), "%s/%s", dir, seeds[i].name);
		out = fopen(path, "wb");
		if (!out || fwrite(f.buf, 1, f.len, out) != f.len || fclose(out))
			return 1;
		free(f.buf);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct tap_test tests[] = {
		TAP_TEST(test_round_trip),
		TAP_TEST(test_hyperv_round_trip),
		TAP_TEST(test_empty_and_foreign),
		TAP_TEST(test_versions),
		TAP_TEST(test_wrong_arch),
		TAP_TEST(test_truncated),
		TAP_TEST(test_corrupt),
		TAP_TEST(test_sizes_lie),
		TAP_TEST(test_bad_fields),
		TAP_TEST(test_random_corruption),
	};

	if (argc == 3 && !strcmp(argv[1], "--seeds"))
		return write_seeds(argv[2]);
	return tap_run(tests, TAP_COUNT(tests));
}
