// SPDX-License-Identifier: GPL-2.0
/*
 * The snapshot file format (snapfile.h; Documentation/snapshot.rst): the
 * section encoders a save uses and the parser a restore, `vessel snapshot
 * check`, the unit test and the fuzz harness use.
 *
 * The parser trusts no byte. It reads the header's fixed first 16 bytes
 * (magic, version, header size) before anything else, because only they
 * say how to read the rest; then the header's checksum, its fields, the
 * section table's checksum and entries, and each section's checksum
 * before its payload. Every count and size is checked against what the
 * format allows and against the others before it sizes an allocation or
 * a read, and a payload must be exactly as long as its fields: a file
 * whose checksums are right but whose sizes lie is refused like a corrupt
 * one. The first fault found is the one reported.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "compiler.h"
#include "snapfile.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the file's structs are the ABI's little-endian bytes");
_Static_assert(sizeof(struct vessel_gprs) == 144, "gprs");
_Static_assert(sizeof(struct vessel_segs) == 160, "segs");
_Static_assert(sizeof(struct vessel_crs) == 64, "crs");
_Static_assert(sizeof(struct vessel_drs) == 64, "drs");
_Static_assert(sizeof(struct vessel_events) == 80, "events");
_Static_assert(sizeof(struct vessel_fpu) == 4096, "fpu");
_Static_assert(sizeof(struct vessel_lapic_state) == 1152, "lapic");
_Static_assert(sizeof(struct vessel_pv_kvm_vm_state) == 64, "kvm vm");
_Static_assert(sizeof(struct vessel_pv_kvm_vcpu_state) == 64, "kvm vcpu");
_Static_assert(sizeof(struct vessel_pv_hv_vm_state) == 128, "hv vm");
_Static_assert(sizeof(struct vessel_pv_hv_vcpu_state) == 320, "hv vcpu");
_Static_assert(sizeof(struct vessel_cpuid_entry) == 32, "cpuid");

/* Header offsets (snapshot.rst, "The header"). */
#define H_MAGIC		0
#define H_MAJOR		8
#define H_MINOR		10
#define H_SIZE		12
#define H_ARCH		16
#define H_FLAGS		20
#define H_VENDOR	24
#define H_SIGNATURE	36
#define H_FAMILY	40
#define H_MODEL		42
#define H_STEPPING	44
#define H_FEATURES	48
#define H_XCR0		80
#define H_PROVIDER	88
#define H_PV_VERSION	92
#define H_NR_VCPUS	96
#define H_NR_SECTIONS	100
#define H_TSC_HZ	104
#define H_RAM_SIZE	112
#define H_NR_RAM	120
#define H_PAGE_SIZE	124
#define H_CHUNK_SIZE	128
#define H_TABLE_OFFSET	136
#define H_TABLE_SUM	144
#define H_FILE_SIZE	152
#define H_RAM		160	/* SNAP_MAX_RAM x { gpa, size, offset } */
#define H_RAM_ENTRY	24
#define H_RESERVED	(H_RAM + SNAP_MAX_RAM * H_RAM_ENTRY)
/* The checksum is the header's last 8 bytes, whatever its size. */
#define H_SUM_SIZE	8

/* Bytes of a vCPU's state parts, and of the provider's structs. */
#define CPU_STATE_BYTES(msrs)	(144 + 160 + 64 + 64 + 8 * (msrs) + 80 + 4096)
/*
 * The MSRs a vCPU section holds, by format minor: 1.0 has the first 12
 * VESSEL_MSR_* (up to MISC_ENABLE), 1.1 adds TSC_ADJUST.  A new
 * VESSEL_MSR_* needs a new minor here, or old files stop restoring.
 */
_Static_assert(VESSEL_NR_MSRS == 13, "a new VESSEL_MSR_* needs a new snapshot format minor");
static unsigned int snap_nr_msrs(uint16_t minor)
{
	return minor == 0 ? 12 : VESSEL_NR_MSRS;
}
#define CPU_APIC_BYTES	(1152 + 8)
#define VESSEL_PV_HV_MAX_MSGS	16
#define VESSEL_PV_HV_MSG_BYTES	256
#define MSGQ_BYTES	(8 + VESSEL_PV_HV_MAX_MSGS * VESSEL_PV_HV_MSG_BYTES)
/* struct hv_message: type (u32), payload size (u8), flags, reserved, sender. */
#define HV_MSG_PAYLOAD_MAX	240

const struct snap_feature_word snap_feature_words[SNAP_NR_FEATURES] = {
	{ 1, 0, 3, "CPUID.1:EDX" },
	{ 1, 0, 2, "CPUID.1:ECX" },
	{ 7, 0, 1, "CPUID.7.0:EBX" },
	{ 7, 0, 2, "CPUID.7.0:ECX" },
	{ 7, 0, 3, "CPUID.7.0:EDX" },
	{ 0x80000001, 0, 3, "CPUID.80000001h:EDX" },
	{ 0x80000001, 0, 2, "CPUID.80000001h:ECX" },
	{ 0xd, 1, 0, "CPUID.0Dh.1:EAX" },
};

uint64_t snap_checksum(const void *p, size_t len)
{
	return XXH3_64bits(p, len);
}

uint64_t snap_get_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void snap_put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = v >> (8 * i);
}

uint64_t snap_ram_chunks(const struct snap_ram *r, uint64_t chunk_size)
{
	return r->size / chunk_size + !!(r->size % chunk_size);
}

const char *snap_provider_name(uint32_t provider)
{
	static const char *const names[] = {
		[VESSEL_PV_NONE] = "none",
		[VESSEL_PV_MINIMAL] = "minimal",
		[VESSEL_PV_HYPERV] = "hyperv",
		[VESSEL_PV_KVM] = "kvm",
	};

	return provider < ARRAY_SIZE(names) ? names[provider] : "unknown";
}

__printf(3, 4)
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

/* ---- The header ------------------------------------------------------- */

static uint32_t provider_vm_bytes(uint32_t provider)
{
	if (provider == VESSEL_PV_KVM)
		return sizeof(struct vessel_pv_kvm_vm_state);
	if (provider == VESSEL_PV_HYPERV)
		return sizeof(struct vessel_pv_hv_vm_state);
	return 0;
}

static uint32_t provider_vcpu_bytes(uint32_t provider)
{
	if (provider == VESSEL_PV_KVM)
		return sizeof(struct vessel_pv_kvm_vcpu_state);
	if (provider == VESSEL_PV_HYPERV)
		return sizeof(struct vessel_pv_hv_vcpu_state) + MSGQ_BYTES;
	return 0;
}

static uint64_t cpu_bytes(uint32_t flags, uint16_t minor)
{
	return CPU_STATE_BYTES(snap_nr_msrs(minor)) +
	       ((flags & SNAP_F_LAPIC) ? CPU_APIC_BYTES : 0);
}

static int check_version(uint16_t major, uint16_t minor, char *err,
			 size_t errlen)
{
	if (major == SNAP_MAJOR && minor <= SNAP_MINOR)
		return 0;
	if (errlen)
		snprintf(err, errlen,
			 "snapshot format %u.%u: this vessel reads %u.0 to %u.%u; the file needs a vessel that reads format %u.%u",
			 major, minor, SNAP_MAJOR, SNAP_MAJOR, SNAP_MINOR,
			 major, minor);
	return -EPROTONOSUPPORT;
}

/* Memory ranges: aligned, in RAM and in the file, overlapping neither. */
static int check_ram(struct snap_header *h, uint64_t state_end, char *err,
		     size_t errlen)
{
	uint64_t total = 0, end = state_end;
	unsigned int i;

	for (i = 0; i < h->nr_ram; i++) {
		const struct snap_ram *r = &h->ram[i];

		if (!r->size || (r->gpa | r->size | r->offset) % SNAP_PAGE_SIZE)
			return fail(err, errlen, "memory range %u: gpa %#llx, size %#llx, offset %#llx: not whole pages",
				    i, (unsigned long long)r->gpa,
				    (unsigned long long)r->size,
				    (unsigned long long)r->offset);
		if (r->gpa + r->size < r->gpa || r->offset + r->size < r->offset)
			return fail(err, errlen, "memory range %u wraps around", i);
		/* In ascending order, one after the other. */
		if (i && r->gpa < h->ram[i - 1].gpa + h->ram[i - 1].size)
			return fail(err, errlen, "memory range %u overlaps or precedes range %u in guest memory",
				    i, i - 1);
		if (r->offset < end)
			return fail(err, errlen, "memory range %u at file offset %#llx overlaps what comes before it (to %#llx)",
				    i, (unsigned long long)r->offset,
				    (unsigned long long)end);
		end = r->offset + r->size;
		if (__builtin_add_overflow(total, r->size, &total))
			return fail(err, errlen, "the memory ranges' sizes overflow");
	}
	if (total != h->ram_size)
		return fail(err, errlen, "the memory ranges hold %llu bytes, the header says %llu",
			    (unsigned long long)total,
			    (unsigned long long)h->ram_size);
	if (end != h->file_size)
		return fail(err, errlen, "the last memory range ends at %llu, the header says the file has %llu bytes",
			    (unsigned long long)end,
			    (unsigned long long)h->file_size);
	return 0;
}

int snap_parse_header(const uint8_t *buf, size_t len, uint64_t file_size,
		      struct snap_header *h, uint64_t *state_end,
		      char *err, size_t errlen)
{
	uint64_t sum, table_end;
	unsigned int i;
	int r;

	memset(h, 0, sizeof(*h));
	if (errlen)
		err[0] = '\0';
	if (!file_size)
		return fail(err, errlen, "an empty file, not a snapshot");
	if (len < 16 || memcmp(buf + H_MAGIC, SNAP_MAGIC, SNAP_MAGIC_SIZE))
		return fail(err, errlen, "not a Vessel snapshot (no \"VESSNAP\" magic)");
	h->major = snap_get_le(buf + H_MAJOR, 2);
	h->minor = snap_get_le(buf + H_MINOR, 2);
	r = check_version(h->major, h->minor, err, errlen);
	if (r)
		return r;
	h->header_size = snap_get_le(buf + H_SIZE, 4);
	if (h->header_size != SNAP_HEADER_SIZE)
		return fail(err, errlen, "a header of %u bytes; format %u.%u has %u",
			    h->header_size, h->major, h->minor, SNAP_HEADER_SIZE);
	if (len < h->header_size || file_size < h->header_size)
		return fail(err, errlen, "truncated: %llu bytes, fewer than the %u of the header",
			    (unsigned long long)(file_size < len ? file_size : len),
			    h->header_size);
	sum = snap_get_le(buf + h->header_size - H_SUM_SIZE, 8);
	if (sum != snap_checksum(buf, h->header_size - H_SUM_SIZE))
		return fail(err, errlen, "the header's checksum does not match: the header is corrupt");

	h->arch = snap_get_le(buf + H_ARCH, 4);
	h->flags = snap_get_le(buf + H_FLAGS, 4);
	memcpy(h->vendor, buf + H_VENDOR, 12);
	h->signature = snap_get_le(buf + H_SIGNATURE, 4);
	h->family = snap_get_le(buf + H_FAMILY, 2);
	h->model = snap_get_le(buf + H_MODEL, 2);
	h->stepping = snap_get_le(buf + H_STEPPING, 4);
	for (i = 0; i < SNAP_NR_FEATURES; i++)
		h->features[i] = snap_get_le(buf + H_FEATURES + 4 * i, 4);
	h->xcr0 = snap_get_le(buf + H_XCR0, 8);
	h->provider = snap_get_le(buf + H_PROVIDER, 4);
	h->provider_version = snap_get_le(buf + H_PV_VERSION, 4);
	h->nr_vcpus = snap_get_le(buf + H_NR_VCPUS, 4);
	h->nr_sections = snap_get_le(buf + H_NR_SECTIONS, 4);
	h->tsc_hz = snap_get_le(buf + H_TSC_HZ, 8);
	h->ram_size = snap_get_le(buf + H_RAM_SIZE, 8);
	h->nr_ram = snap_get_le(buf + H_NR_RAM, 4);
	h->page_size = snap_get_le(buf + H_PAGE_SIZE, 4);
	h->chunk_size = snap_get_le(buf + H_CHUNK_SIZE, 8);
	h->table_offset = snap_get_le(buf + H_TABLE_OFFSET, 8);
	h->table_checksum = snap_get_le(buf + H_TABLE_SUM, 8);
	h->file_size = snap_get_le(buf + H_FILE_SIZE, 8);
	for (i = 0; i < SNAP_MAX_RAM; i++) {
		const uint8_t *e = buf + H_RAM + i * H_RAM_ENTRY;

		h->ram[i].gpa = snap_get_le(e, 8);
		h->ram[i].size = snap_get_le(e + 8, 8);
		h->ram[i].offset = snap_get_le(e + 16, 8);
	}

	if (h->arch != SNAP_ARCH_X86_64_VMX)
		return fail(err, errlen, "architecture %u; this vessel runs x86-64 guests (architecture %u) only",
			    h->arch, SNAP_ARCH_X86_64_VMX);
	if (h->flags & ~SNAP_FLAGS_KNOWN)
		return fail(err, errlen, "unknown header flags %#x", h->flags);
	if (!all_zero(buf + H_RESERVED, h->header_size - H_SUM_SIZE - H_RESERVED))
		return fail(err, errlen, "the header's reserved bytes are not zero");
	if (h->provider > VESSEL_PV_KVM || !h->provider_version)
		return fail(err, errlen, "paravirtual provider %u, interface version %u: no such provider",
			    h->provider, h->provider_version);
	if (!h->nr_vcpus || h->nr_vcpus > SNAP_MAX_VCPUS)
		return fail(err, errlen, "%u vCPUs: the format allows 1 to %u",
			    h->nr_vcpus, SNAP_MAX_VCPUS);
	if (h->nr_vcpus > 1 && !(h->flags & SNAP_F_LAPIC))
		return fail(err, errlen, "%u vCPUs without a local APIC", h->nr_vcpus);
	if (!h->tsc_hz)
		return fail(err, errlen, "a TSC frequency of 0 Hz");
	if (h->page_size != SNAP_PAGE_SIZE)
		return fail(err, errlen, "a page size of %u bytes; the format has %u",
			    h->page_size, SNAP_PAGE_SIZE);
	if (h->chunk_size < SNAP_PAGE_SIZE || h->chunk_size > (1ULL << 30) ||
	    (h->chunk_size & (h->chunk_size - 1)))
		return fail(err, errlen, "a memory chunk of %llu bytes: not a power of two from 4 KiB to 1 GiB",
			    (unsigned long long)h->chunk_size);
	if (!h->nr_ram || h->nr_ram > SNAP_MAX_RAM)
		return fail(err, errlen, "%u memory ranges: the format has 1 to %u",
			    h->nr_ram, SNAP_MAX_RAM);
	for (i = h->nr_ram; i < SNAP_MAX_RAM; i++)
		if (h->ram[i].gpa || h->ram[i].size || h->ram[i].offset)
			return fail(err, errlen, "memory range %u is beyond the %u in use but not zero",
				    i, h->nr_ram);
	if (h->table_offset != h->header_size)
		return fail(err, errlen, "the section table at %llu, not right after the header",
			    (unsigned long long)h->table_offset);
	if (!h->nr_sections || h->nr_sections > SNAP_MAX_SECTIONS)
		return fail(err, errlen, "%u sections: the format allows 1 to %u",
			    h->nr_sections, SNAP_MAX_SECTIONS);
	if (h->file_size != file_size)
		return fail(err, errlen, "the file has %llu bytes, its header says %llu: %s",
			    (unsigned long long)file_size,
			    (unsigned long long)h->file_size,
			    file_size < h->file_size ? "truncated" : "extra bytes");
	table_end = h->table_offset + (uint64_t)h->nr_sections * SNAP_SECTION_ENTRY;
	*state_end = h->ram[0].offset;
	if (*state_end < table_end || *state_end > SNAP_MAX_STATE)
		return fail(err, errlen, "memory at file offset %llu: %s",
			    (unsigned long long)*state_end,
			    *state_end < table_end ? "inside the section table" :
			    "more state than the format allows (64 MiB)");
	return check_ram(h, table_end, err, errlen);
}

/* ---- Reading a section ------------------------------------------------ */

/* A section's payload being read; the first fault is kept. */
struct rd {
	const uint8_t *p;
	size_t left;
	char *err;
	size_t errlen;
	char what[48];		/* "vCPU 3", for messages */
	int error;
};

__printf(2, 3)
static int rd_fail(struct rd *rd, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (rd->error)
		return rd->error;
	rd->error = -EINVAL;
	if (!rd->errlen)
		return rd->error;
	n = snprintf(rd->err, rd->errlen, "%s section: ", rd->what);
	if (n >= 0 && (size_t)n < rd->errlen) {
		va_start(ap, fmt);
		vsnprintf(rd->err + n, rd->errlen - n, fmt, ap);
		va_end(ap);
	}
	return rd->error;
}

static const uint8_t *rd_take(struct rd *rd, size_t n)
{
	const uint8_t *p;

	if (rd->error)
		return NULL;
	if (n > rd->left) {
		rd_fail(rd, "%zu bytes, it ends inside a field", rd->left);
		return NULL;
	}
	p = rd->p;
	rd->p += n;
	rd->left -= n;
	return p;
}

static uint64_t rd_int(struct rd *rd, unsigned int n)
{
	const uint8_t *p = rd_take(rd, n);

	return p ? snap_get_le(p, n) : 0;
}

static void rd_bytes(struct rd *rd, void *dst, size_t n)
{
	const uint8_t *p = rd_take(rd, n);

	if (p)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
}

/* A string of 1 to SNAP_MAX_STRING bytes (0 too if @optional), no NUL. */
static char *rd_string(struct rd *rd, const char *field, bool optional)
{
	uint32_t n = rd_int(rd, 4);
	const uint8_t *p;
	char *s;

	if (rd->error)
		return NULL;
	if (!n && optional)
		return NULL;
	if (!n || n > SNAP_MAX_STRING) {
		rd_fail(rd, "%s of %u bytes: 1 to %u allowed", field, n,
			SNAP_MAX_STRING);
		return NULL;
	}
	p = rd_take(rd, n);
	if (!p)
		return NULL;
	if (memchr(p, 0, n)) {
		rd_fail(rd, "%s holds a NUL byte", field);
		return NULL;
	}
	s = malloc(n + 1);
	if (!s) {
		rd->error = -ENOMEM;
		snprintf(rd->err, rd->errlen, "out of memory");
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static int rd_end(struct rd *rd)
{
	if (!rd->error && rd->left)
		rd_fail(rd, "%zu bytes after its last field", rd->left);
	return rd->error;
}

/* ---- Checks of the ABI structs ---------------------------------------- */

static int check_cpu(struct rd *rd, const struct snap_cpu *c, bool lapic)
{
	const struct vessel_vcpu_state *s = &c->state;
	const struct vessel_events *e = &s->events;
	const uint32_t ev_flags = VESSEL_EV_EXCEPTION_PENDING |
		VESSEL_EV_EXCEPTION_HAS_ERROR | VESSEL_EV_EXCEPTION_HAS_PAYLOAD |
		VESSEL_EV_NMI_PENDING | VESSEL_EV_IRQ_PENDING;
	const uint32_t intr = VESSEL_INTR_STI | VESSEL_INTR_MOV_SS |
			      VESSEL_INTR_NMI;

	/* Segments, CRs and MSRs as the CPU takes them: SET_STATE checks. */
	if (s->crs.reserved || !all_zero(s->drs.reserved, sizeof(s->drs.reserved)))
		return rd_fail(rd, "reserved CR or DR fields are not zero");
	if (!all_zero(s->segs.gdt.pad, sizeof(s->segs.gdt.pad)) ||
	    !all_zero(s->segs.idt.pad, sizeof(s->segs.idt.pad)))
		return rd_fail(rd, "the GDTR or IDTR padding is not zero");
	if ((e->flags & ~ev_flags) || (e->interruptibility & ~intr) ||
	    e->activity > VESSEL_ACTIVITY_HLT || e->pad0 || e->pad1 || e->pad2 ||
	    !all_zero(e->reserved, sizeof(e->reserved)))
		return rd_fail(rd, "the events part has unknown flags or non-zero padding");
	if (!lapic)
		return 0;
	if (c->lapic.flags || c->lapic.reserved0 ||
	    !all_zero(c->lapic.reserved, sizeof(c->lapic.reserved)))
		return rd_fail(rd, "the local APIC's flags or reserved fields are not zero");
	if (c->lapic.timer_ns > VESSEL_LAPIC_MAX_TIMER_NS)
		return rd_fail(rd, "a local APIC timer %llu ns away, beyond the %llu any count reaches",
			       (unsigned long long)c->lapic.timer_ns,
			       (unsigned long long)VESSEL_LAPIC_MAX_TIMER_NS);
	if (c->mp.mp_state > VESSEL_MP_STATE_WAIT_SIPI)
		return rd_fail(rd, "MP state %u is none of runnable, halted, wait-for-SIPI",
			       c->mp.mp_state);
	return 0;
}

static void rd_cpu(struct rd *rd, struct snap_cpu *c, bool lapic,
		   unsigned int nr_msrs)
{
	struct vessel_vcpu_state *s = &c->state;
	unsigned int i;
	uint32_t pad;

	memset(c, 0, sizeof(*c));
	s->flags = SNAP_STATE_PARTS;
	rd_bytes(rd, &s->gprs, sizeof(s->gprs));
	rd_bytes(rd, &s->segs, sizeof(s->segs));
	rd_bytes(rd, &s->crs, sizeof(s->crs));
	rd_bytes(rd, &s->drs, sizeof(s->drs));
	/* MSRs a file of an older minor lacks stay 0, their reset value. */
	for (i = 0; i < nr_msrs; i++)
		s->msrs[i] = rd_int(rd, 8);
	rd_bytes(rd, &s->events, sizeof(s->events));
	rd_bytes(rd, &s->fpu, sizeof(s->fpu));
	if (lapic) {
		rd_bytes(rd, &c->lapic, sizeof(c->lapic));
		c->mp.mp_state = rd_int(rd, 4);
		pad = rd_int(rd, 4);
		if (pad)
			rd_fail(rd, "the MP state's padding is not zero");
	}
	if (!rd->error)
		check_cpu(rd, c, lapic);
}

static void rd_pv_vcpu(struct rd *rd, struct snap_vcpu *v, uint32_t provider,
		       uint32_t version, bool lapic)
{
	struct vessel_pv_kvm_vcpu_state *k = &v->pv.kvm_vcpu;
	struct vessel_pv_hv_vcpu_state *hv = &v->pv.hv_vcpu;
	struct vessel_pv_hv_msg_queue *q = &v->msgq;
	unsigned int i;
	uint32_t pad;

	memset(&v->pv, 0, sizeof(v->pv));
	memset(q, 0, sizeof(*q));
	v->pv.provider = provider;
	v->pv.version = version;
	if (provider == VESSEL_PV_KVM) {
		rd_bytes(rd, k, sizeof(*k));
		if (!rd->error && ((k->flags & ~VESSEL_PV_KVM_PV_UNHALT) ||
				   !all_zero(k->reserved, sizeof(k->reserved))))
			rd_fail(rd, "the KVM provider's flags or reserved fields are not zero");
	} else if (provider == VESSEL_PV_HYPERV) {
		rd_bytes(rd, hv, sizeof(*hv));
		if (!rd->error && !all_zero(hv->reserved, sizeof(hv->reserved)))
			rd_fail(rd, "the Hyper-V provider's reserved fields are not zero");
		q->queued = rd_int(rd, 4);
		pad = rd_int(rd, 4);
		rd_bytes(rd, q->msg, sizeof(q->msg));
		if (rd->error)
			return;
		if (pad || (q->queued >> VESSEL_PV_HV_MAX_MSGS))
			rd_fail(rd, "message queue bits %#x: SINTs 0-15 only", q->queued);
		if (q->queued && !lapic)
			rd_fail(rd, "queued Hyper-V messages without a local APIC");
		for (i = 0; !rd->error && i < VESSEL_PV_HV_MAX_MSGS; i++) {
			const uint8_t *m = q->msg[i];

			if (!(q->queued & (1U << i))) {
				if (!all_zero(m, VESSEL_PV_HV_MSG_BYTES))
					rd_fail(rd, "message slot %u is not queued but not zero", i);
			} else if (!snap_get_le(m, 4) || m[4] > HV_MSG_PAYLOAD_MAX) {
				rd_fail(rd, "queued message %u: type 0 or a payload over %u bytes",
					i, HV_MSG_PAYLOAD_MAX);
			}
		}
	}
}

/* ---- Sections --------------------------------------------------------- */

static int parse_config(struct rd *rd, struct snap *s)
{
	struct snap_config *c = &s->cfg;
	uint32_t i;

	c->mem = rd_int(rd, 8);
	c->cpus = rd_int(rd, 4);
	c->irqchip = rd_int(rd, 4);
	c->format = rd_int(rd, 4);
	c->image = rd_string(rd, "the image path", false);
	c->cmdline = rd_string(rd, "the command line", true);
	c->hv_debug = rd_string(rd, "the Hyper-V debugger link", true);
	c->nr_modules = rd_int(rd, 4);
	if (rd->error)
		return rd->error;
	if (c->mem != s->h.ram_size || c->cpus != s->h.nr_vcpus)
		return rd_fail(rd, "%llu bytes and %u vCPUs, the header says %llu and %u",
			       (unsigned long long)c->mem, c->cpus,
			       (unsigned long long)s->h.ram_size, s->h.nr_vcpus);
	if (c->irqchip > 2 || c->format > 4)
		return rd_fail(rd, "irqchip %u, image format %u: unknown",
			       c->irqchip, c->format);
	if (c->nr_modules > SNAP_MAX_MODULES)
		return rd_fail(rd, "%u modules, more than the %u allowed",
			       c->nr_modules, SNAP_MAX_MODULES);
	/* One more than needed: never calloc(0). */
	c->module_paths = calloc(c->nr_modules + 1, sizeof(char *));
	c->module_cmdlines = calloc(c->nr_modules + 1, sizeof(char *));
	if (!c->module_paths || !c->module_cmdlines) {
		snprintf(rd->err, rd->errlen, "out of memory");
		return rd->error = -ENOMEM;
	}
	for (i = 0; !rd->error && i < c->nr_modules; i++) {
		c->module_paths[i] = rd_string(rd, "a module path", false);
		c->module_cmdlines[i] = rd_string(rd, "a module command line",
						  true);
	}
	return rd_end(rd);
}

static const struct vessel_cpuid_entry *
cpuid_find(const struct vessel_cpuid_entry *e, uint32_t nr, uint32_t leaf,
	   uint32_t index)
{
	uint32_t i;

	for (i = 0; i < nr; i++)
		if (e[i].function == leaf &&
		    (!(e[i].flags & VESSEL_CPUID_SIGNIFICANT_INDEX) ||
		     e[i].index == index))
			return &e[i];
	return NULL;
}

static uint32_t cpuid_reg(const struct vessel_cpuid_entry *e, unsigned int reg)
{
	const uint32_t r[4] = { e->eax, e->ebx, e->ecx, e->edx };

	return r[reg];
}

int snap_header_cpu(struct snap_header *h,
		    const struct vessel_cpuid_entry *e, uint32_t nr)
{
	const struct vessel_cpuid_entry *l0 = cpuid_find(e, nr, 0, 0);
	const struct vessel_cpuid_entry *l1 = cpuid_find(e, nr, 1, 0);
	const struct vessel_cpuid_entry *x;
	uint32_t sig, family;
	unsigned int i;

	if (!l0 || !l1)
		return -EINVAL;
	memcpy(h->vendor, &l0->ebx, 4);
	memcpy(h->vendor + 4, &l0->edx, 4);
	memcpy(h->vendor + 8, &l0->ecx, 4);
	h->vendor[12] = '\0';
	sig = l1->eax;
	h->signature = sig;
	/* SDM Vol. 2A, CPUID leaf 1: the displayed family and model. */
	family = (sig >> 8) & 0xf;
	h->model = (sig >> 4) & 0xf;
	if (family == 0x6 || family == 0xf)
		h->model |= ((sig >> 16) & 0xf) << 4;
	if (family == 0xf)
		family += (sig >> 20) & 0xff;
	h->family = family;
	h->stepping = sig & 0xf;
	for (i = 0; i < SNAP_NR_FEATURES; i++) {
		const struct snap_feature_word *w = &snap_feature_words[i];

		x = cpuid_find(e, nr, w->leaf, w->index);
		h->features[i] = x ? cpuid_reg(x, w->reg) : 0;
	}
	x = cpuid_find(e, nr, 0xd, 0);
	h->xcr0 = x ? ((uint64_t)x->edx << 32 | x->eax) : 0;
	return 0;
}

static int parse_cpuid(struct rd *rd, struct snap *s)
{
	struct snap_header want;
	uint32_t nr = rd_int(rd, 4), pad = rd_int(rd, 4), i;

	if (rd->error)
		return rd->error;
	if (pad || !nr || nr > VESSEL_MAX_CPUID_ENTRIES)
		return rd_fail(rd, "%u entries: 1 to %u allowed", nr,
			       VESSEL_MAX_CPUID_ENTRIES);
	if (rd->left != (size_t)nr * sizeof(*s->cpuid))
		return rd_fail(rd, "%zu bytes for %u entries of %zu", rd->left,
			       nr, sizeof(*s->cpuid));
	s->cpuid = calloc(nr, sizeof(*s->cpuid));
	if (!s->cpuid) {
		snprintf(rd->err, rd->errlen, "out of memory");
		return rd->error = -ENOMEM;
	}
	s->nr_cpuid = nr;
	rd_bytes(rd, s->cpuid, nr * sizeof(*s->cpuid));
	for (i = 0; i < nr; i++)
		if ((s->cpuid[i].flags & ~VESSEL_CPUID_SIGNIFICANT_INDEX) ||
		    s->cpuid[i].reserved)
			return rd_fail(rd, "entry %u has unknown flags or a reserved field set", i);
	/* The header's CPU fields say what this table says. */
	memset(&want, 0, sizeof(want));
	if (snap_header_cpu(&want, s->cpuid, nr))
		return rd_fail(rd, "no leaf 0 or 1");
	if (memcmp(want.vendor, s->h.vendor, 12) ||
	    want.signature != s->h.signature || want.family != s->h.family ||
	    want.model != s->h.model || want.stepping != s->h.stepping ||
	    memcmp(want.features, s->h.features, sizeof(want.features)) ||
	    want.xcr0 != s->h.xcr0)
		return rd_fail(rd, "the table disagrees with the header's CPU vendor, model or features");
	return rd_end(rd);
}

static int parse_vm(struct rd *rd, struct snap *s)
{
	uint32_t provider = s->h.provider;

	s->tsc = rd_int(rd, 8);
	memset(&s->pv_vm, 0, sizeof(s->pv_vm));
	s->pv_vm.provider = provider;
	s->pv_vm.version = s->h.provider_version;
	rd_bytes(rd, s->pv_vm.data, provider_vm_bytes(provider));
	if (rd->error)
		return rd->error;
	if (provider == VESSEL_PV_KVM &&
	    !all_zero(s->pv_vm.kvm_vm.reserved, sizeof(s->pv_vm.kvm_vm.reserved)))
		return rd_fail(rd, "the KVM provider's reserved fields are not zero");
	if (provider == VESSEL_PV_HYPERV &&
	    !all_zero(s->pv_vm.hv_vm.reserved, sizeof(s->pv_vm.hv_vm.reserved)))
		return rd_fail(rd, "the Hyper-V provider's reserved fields are not zero");
	return rd_end(rd);
}

/* A record in the format of hw/state.h: its header must hold together. */
static int parse_device(struct rd *rd, struct snap *s)
{
	struct snap_device *d = &s->devices[s->nr_devices];
	const uint8_t *rec = rd->p;
	size_t len = rd->left;
	unsigned int i;

	if (len < HW_STATE_HEADER_SIZE)
		return rd_fail(rd, "%zu bytes, fewer than a device record's header",
			       len);
	if (snap_get_le(rec + HW_STATE_NAME_SIZE + 4, 4) !=
	    len - HW_STATE_HEADER_SIZE)
		return rd_fail(rd, "the record's size field disagrees with the section's size");
	if (!snap_get_le(rec + HW_STATE_NAME_SIZE, 4))
		return rd_fail(rd, "a device record of layout version 0");
	/* A NUL-padded ASCII name of 1 to 15 characters. */
	for (i = 0; i < HW_STATE_NAME_SIZE && rec[i]; i++)
		if (rec[i] < 0x21 || rec[i] > 0x7e)
			return rd_fail(rd, "the device's name is not printable ASCII");
	if (!i || i == HW_STATE_NAME_SIZE ||
	    !all_zero(rec + i, HW_STATE_NAME_SIZE - i))
		return rd_fail(rd, "the device's name is empty or not NUL-padded");
	memcpy(d->name, rec, i);
	d->name[i] = '\0';
	for (i = 0; i < s->nr_devices; i++)
		if (!strcmp(s->devices[i].name, d->name))
			return rd_fail(rd, "a second record of device %s", d->name);
	d->record = rec;
	d->len = len;
	s->nr_devices++;
	rd_take(rd, len);
	return 0;
}

static int parse_memory(struct rd *rd, struct snap *s)
{
	uint64_t i, n = 0;

	for (i = 0; i < s->h.nr_ram; i++)
		n += snap_ram_chunks(&s->h.ram[i], s->h.chunk_size);
	if (rd->left != n * 8)
		return rd_fail(rd, "%zu bytes of chunk checksums, the memory ranges have %llu chunks of 8",
			       rd->left, (unsigned long long)n);
	s->chunk_sums = calloc(n, 8);
	if (!s->chunk_sums) {
		snprintf(rd->err, rd->errlen, "out of memory");
		return rd->error = -ENOMEM;
	}
	s->nr_chunks = n;
	for (i = 0; i < n; i++)
		s->chunk_sums[i] = rd_int(rd, 8);
	return rd_end(rd);
}

static int parse_vcpu(struct rd *rd, struct snap *s, uint32_t id, bool pv)
{
	bool lapic = s->h.flags & SNAP_F_LAPIC;
	unsigned int nr_msrs = snap_nr_msrs(s->h.minor);
	uint64_t want = cpu_bytes(s->h.flags, s->h.minor) +
			(pv ? provider_vcpu_bytes(s->h.provider) : 0);

	/* The size first: a file cannot make us read past its sizes. */
	if (rd->left != want)
		return rd_fail(rd, "%zu bytes, a vCPU of this VM has %llu",
			       rd->left, (unsigned long long)want);
	if (pv) {
		rd_cpu(rd, &s->vcpus[id].cpu, lapic, nr_msrs);
		rd_pv_vcpu(rd, &s->vcpus[id], s->h.provider,
			   s->h.provider_version, lapic);
	} else {
		rd_cpu(rd, &s->power_on[id], lapic, nr_msrs);
	}
	return rd_end(rd);
}

static const char *section_name(uint32_t type)
{
	static const char *const names[] = {
		[SNAP_SEC_CONFIG] = "config",
		[SNAP_SEC_CPUID] = "CPUID",
		[SNAP_SEC_VM] = "VM",
		[SNAP_SEC_VCPU] = "vCPU",
		[SNAP_SEC_POWER_ON] = "power-on",
		[SNAP_SEC_DEVICE] = "device",
		[SNAP_SEC_MEMORY] = "memory",
	};

	return type < ARRAY_SIZE(names) && names[type] ? names[type] : NULL;
}

/* Exactly one of each once-only section, one vCPU and power-on per vCPU. */
static int check_table(struct snap *s, char *err, size_t errlen)
{
	uint32_t nr = s->h.nr_sections, i, j;
	uint64_t end = s->h.table_offset + (uint64_t)nr * SNAP_SECTION_ENTRY;
	uint32_t count[SNAP_SEC_MEMORY + 1] = { 0 };

	for (i = 0; i < nr; i++) {
		const struct snap_section *sec = &s->sections[i];
		const char *name = section_name(sec->type);

		if (!name)
			return fail(err, errlen, "section %u has unknown type %u", i,
				    sec->type);
		if (sec->offset < end || sec->offset % 8 ||
		    sec->size > s->state_end || sec->offset > s->state_end - sec->size)
			return fail(err, errlen, "section %u (%s %u) at %llu, %llu bytes: out of order, unaligned or beyond the state's %llu bytes",
				    i, name, sec->index,
				    (unsigned long long)sec->offset,
				    (unsigned long long)sec->size,
				    (unsigned long long)s->state_end);
		end = sec->offset + sec->size;
		count[sec->type]++;
		switch (sec->type) {
		case SNAP_SEC_VCPU:
		case SNAP_SEC_POWER_ON:
			if (sec->index >= s->h.nr_vcpus)
				return fail(err, errlen, "section %u: %s %u of a VM with %u vCPUs",
					    i, name, sec->index, s->h.nr_vcpus);
			for (j = 0; j < i; j++)
				if (s->sections[j].type == sec->type &&
				    s->sections[j].index == sec->index)
					return fail(err, errlen, "section %u: a second %s %u",
						    i, name, sec->index);
			break;
		case SNAP_SEC_DEVICE:
			if (sec->index != count[sec->type] - 1)
				return fail(err, errlen, "section %u: device %u out of order",
					    i, sec->index);
			break;
		default:
			if (sec->index)
				return fail(err, errlen, "section %u: %s with index %u",
					    i, name, sec->index);
		}
	}
	for (i = SNAP_SEC_CONFIG; i <= SNAP_SEC_MEMORY; i++) {
		uint32_t want = (i == SNAP_SEC_VCPU || i == SNAP_SEC_POWER_ON) ?
				s->h.nr_vcpus : 1;

		if (i == SNAP_SEC_DEVICE) {
			if (count[i] > SNAP_MAX_DEVICES)
				return fail(err, errlen, "%u device sections, more than %u",
					    count[i], SNAP_MAX_DEVICES);
			continue;
		}
		if (count[i] != want)
			return fail(err, errlen, "%u %s sections, the file needs %u",
				    count[i], section_name(i), want);
	}
	return 0;
}

void snap_free(struct snap *s)
{
	struct snap_config *c = &s->cfg;
	uint32_t i;

	free(s->sections);
	free(c->image);
	free(c->cmdline);
	free(c->hv_debug);
	for (i = 0; c->module_paths && i < c->nr_modules; i++) {
		free(c->module_paths[i]);
		free(c->module_cmdlines[i]);
	}
	free(c->module_paths);
	free(c->module_cmdlines);
	free(s->cpuid);
	free(s->vcpus);
	free(s->power_on);
	free(s->chunk_sums);
	memset(s, 0, sizeof(*s));
}

int snap_parse(const uint8_t *buf, size_t len, uint64_t file_size,
	       struct snap *s, char *err, size_t errlen)
{
	const uint8_t *table;
	uint32_t i;
	int r;

	memset(s, 0, sizeof(*s));
	r = snap_parse_header(buf, len, file_size, &s->h, &s->state_end, err,
			      errlen);
	if (r)
		return r;
	if (len < s->state_end)
		return fail(err, errlen, "truncated: %zu bytes, the state takes %llu",
			    len, (unsigned long long)s->state_end);
	table = buf + s->h.table_offset;
	if (snap_checksum(table, s->h.nr_sections * SNAP_SECTION_ENTRY) !=
	    s->h.table_checksum)
		return fail(err, errlen, "the section table's checksum does not match: the table is corrupt");
	s->sections = calloc(s->h.nr_sections, sizeof(*s->sections));
	s->vcpus = calloc(s->h.nr_vcpus, sizeof(*s->vcpus));
	s->power_on = calloc(s->h.nr_vcpus, sizeof(*s->power_on));
	if (!s->sections || !s->vcpus || !s->power_on) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto err_free;
	}
	for (i = 0; i < s->h.nr_sections; i++) {
		const uint8_t *e = table + i * SNAP_SECTION_ENTRY;

		s->sections[i].type = snap_get_le(e, 4);
		s->sections[i].index = snap_get_le(e + 4, 4);
		s->sections[i].offset = snap_get_le(e + 8, 8);
		s->sections[i].size = snap_get_le(e + 16, 8);
		s->sections[i].checksum = snap_get_le(e + 24, 8);
	}
	r = check_table(s, err, errlen);
	if (r)
		goto err_free;
	for (i = 0; i < s->h.nr_sections; i++) {
		const struct snap_section *sec = &s->sections[i];
		struct rd rd = {
			.p = buf + sec->offset, .left = sec->size,
			.err = err, .errlen = errlen,
		};

		if (sec->type == SNAP_SEC_VCPU || sec->type == SNAP_SEC_POWER_ON ||
		    sec->type == SNAP_SEC_DEVICE)
			snprintf(rd.what, sizeof(rd.what), "the %s %u",
				 section_name(sec->type), sec->index);
		else
			snprintf(rd.what, sizeof(rd.what), "the %s",
				 section_name(sec->type));
		if (snap_checksum(rd.p, rd.left) != sec->checksum) {
			r = fail(err, errlen, "%s section's checksum does not match: it is corrupt",
				 rd.what);
			goto err_free;
		}
		switch (sec->type) {
		case SNAP_SEC_CONFIG:
			r = parse_config(&rd, s);
			break;
		case SNAP_SEC_CPUID:
			r = parse_cpuid(&rd, s);
			break;
		case SNAP_SEC_VM:
			r = parse_vm(&rd, s);
			break;
		case SNAP_SEC_VCPU:
		case SNAP_SEC_POWER_ON:
			r = parse_vcpu(&rd, s, sec->index,
				       sec->type == SNAP_SEC_VCPU);
			break;
		case SNAP_SEC_DEVICE:
			r = parse_device(&rd, s);
			break;
		default:
			r = parse_memory(&rd, s);
			break;
		}
		if (r)
			goto err_free;
	}
	return 0;

err_free:
	snap_free(s);
	return r;
}

/* ---- Writing ---------------------------------------------------------- */

void snap_writer_init(struct snap_writer *w)
{
	unsigned int i;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < SNAP_MAX_SECTIONS; i++)
		hw_state_out_init(&w->sec[i]);
}

void snap_writer_free(struct snap_writer *w)
{
	unsigned int i;

	for (i = 0; i < w->nr; i++)
		hw_state_out_free(&w->sec[i]);
	w->nr = 0;
}

struct hw_state_out *snap_section(struct snap_writer *w, uint32_t type,
				  uint32_t index)
{
	static struct hw_state_out lost;	/* the writes of a section too many */

	if (w->nr == SNAP_MAX_SECTIONS) {
		w->error = -E2BIG;
		hw_state_out_init(&lost);
		lost.error = -E2BIG;
		return &lost;
	}
	w->type[w->nr] = type;
	w->index[w->nr] = index;
	return &w->sec[w->nr++];
}

static void put_string(struct hw_state_out *o, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	hw_put_u32(o, n);
	hw_put_bytes(o, s, n);
}

void snap_put_config(struct hw_state_out *o, const struct snap_config *c)
{
	uint32_t i;

	hw_put_u64(o, c->mem);
	hw_put_u32(o, c->cpus);
	hw_put_u32(o, c->irqchip);
	hw_put_u32(o, c->format);
	put_string(o, c->image);
	put_string(o, c->cmdline);
	put_string(o, c->hv_debug);
	hw_put_u32(o, c->nr_modules);
	for (i = 0; i < c->nr_modules; i++) {
		put_string(o, c->module_paths[i]);
		put_string(o, c->module_cmdlines[i]);
	}
}

void snap_put_cpuid(struct hw_state_out *o,
		    const struct vessel_cpuid_entry *e, uint32_t nr)
{
	hw_put_u32(o, nr);
	hw_put_u32(o, 0);
	hw_put_bytes(o, e, (size_t)nr * sizeof(*e));
}

void snap_put_vm(struct hw_state_out *o, uint64_t tsc, uint32_t provider,
		 const struct vessel_pv_state *pv)
{
	hw_put_u64(o, tsc);
	hw_put_bytes(o, pv->data, provider_vm_bytes(provider));
}

void snap_put_cpu(struct hw_state_out *o, const struct snap_cpu *cpu,
		  bool lapic)
{
	const struct vessel_vcpu_state *s = &cpu->state;
	unsigned int i;

	hw_put_bytes(o, &s->gprs, sizeof(s->gprs));
	hw_put_bytes(o, &s->segs, sizeof(s->segs));
	hw_put_bytes(o, &s->crs, sizeof(s->crs));
	hw_put_bytes(o, &s->drs, sizeof(s->drs));
	for (i = 0; i < VESSEL_NR_MSRS; i++)
		hw_put_u64(o, s->msrs[i]);
	hw_put_bytes(o, &s->events, sizeof(s->events));
	hw_put_bytes(o, &s->fpu, sizeof(s->fpu));
	if (!lapic)
		return;
	hw_put_bytes(o, &cpu->lapic, sizeof(cpu->lapic));
	hw_put_u32(o, cpu->mp.mp_state);
	hw_put_u32(o, 0);
}

void snap_put_vcpu_pv(struct hw_state_out *o, uint32_t provider,
		      const struct vessel_pv_state *pv,
		      const struct vessel_pv_hv_msg_queue *msgq)
{
	if (provider == VESSEL_PV_KVM) {
		hw_put_bytes(o, &pv->kvm_vcpu, sizeof(pv->kvm_vcpu));
	} else if (provider == VESSEL_PV_HYPERV) {
		hw_put_bytes(o, &pv->hv_vcpu, sizeof(pv->hv_vcpu));
		hw_put_u32(o, msgq->queued);
		hw_put_u32(o, 0);
		hw_put_bytes(o, msgq->msg, sizeof(msgq->msg));
	}
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int snap_layout(struct snap_writer *w)
{
	struct snap_header *h = &w->h;
	struct hw_state_out *mem;
	uint64_t off, chunks = 0;
	unsigned int i;

	for (i = 0; i < h->nr_ram; i++)
		chunks += snap_ram_chunks(&h->ram[i], h->chunk_size);
	mem = snap_section(w, SNAP_SEC_MEMORY, 0);
	for (i = 0; i < chunks; i++)
		hw_put_u64(mem, 0);
	for (i = 0; i < w->nr; i++)
		if (w->sec[i].error && !w->error)
			w->error = w->sec[i].error;
	if (w->error)
		return w->error;
	h->nr_sections = w->nr;
	h->table_offset = SNAP_HEADER_SIZE;
	off = h->table_offset + (uint64_t)w->nr * SNAP_SECTION_ENTRY;
	for (i = 0; i < w->nr; i++)
		off = align_up(off, 8) + w->sec[i].len;
	off = align_up(off, SNAP_PAGE_SIZE);
	h->ram_size = 0;
	for (i = 0; i < h->nr_ram; i++) {
		h->ram[i].offset = off;
		off += h->ram[i].size;
		h->ram_size += h->ram[i].size;
	}
	h->file_size = off;
	return 0;
}

uint8_t *snap_encode(struct snap_writer *w, const uint64_t *sums, size_t *len)
{
	struct snap_header *h = &w->h;
	struct hw_state_out *mem = &w->sec[w->nr - 1];
	uint8_t *buf, *table, *e;
	size_t state_end = h->ram[0].offset;
	uint64_t off;
	unsigned int i;

	buf = calloc(1, state_end);
	if (!buf)
		return NULL;
	for (i = 0; i * 8 < mem->len; i++)
		snap_put_le(mem->buf + i * 8, sums[i], 8);
	memcpy(buf + H_MAGIC, SNAP_MAGIC, SNAP_MAGIC_SIZE);
	snap_put_le(buf + H_MAJOR, SNAP_MAJOR, 2);
	snap_put_le(buf + H_MINOR, SNAP_MINOR, 2);
	snap_put_le(buf + H_SIZE, SNAP_HEADER_SIZE, 4);
	snap_put_le(buf + H_ARCH, SNAP_ARCH_X86_64_VMX, 4);
	snap_put_le(buf + H_FLAGS, h->flags, 4);
	memcpy(buf + H_VENDOR, h->vendor, 12);
	snap_put_le(buf + H_SIGNATURE, h->signature, 4);
	snap_put_le(buf + H_FAMILY, h->family, 2);
	snap_put_le(buf + H_MODEL, h->model, 2);
	snap_put_le(buf + H_STEPPING, h->stepping, 4);
	for (i = 0; i < SNAP_NR_FEATURES; i++)
		snap_put_le(buf + H_FEATURES + 4 * i, h->features[i], 4);
	snap_put_le(buf + H_XCR0, h->xcr0, 8);
	snap_put_le(buf + H_PROVIDER, h->provider, 4);
	snap_put_le(buf + H_PV_VERSION, h->provider_version, 4);
	snap_put_le(buf + H_NR_VCPUS, h->nr_vcpus, 4);
	snap_put_le(buf + H_NR_SECTIONS, h->nr_sections, 4);
	snap_put_le(buf + H_TSC_HZ, h->tsc_hz, 8);
	snap_put_le(buf + H_RAM_SIZE, h->ram_size, 8);
	snap_put_le(buf + H_NR_RAM, h->nr_ram, 4);
	snap_put_le(buf + H_PAGE_SIZE, SNAP_PAGE_SIZE, 4);
	snap_put_le(buf + H_CHUNK_SIZE, h->chunk_size, 8);
	snap_put_le(buf + H_TABLE_OFFSET, h->table_offset, 8);
	snap_put_le(buf + H_FILE_SIZE, h->file_size, 8);
	for (i = 0; i < h->nr_ram; i++) {
		e = buf + H_RAM + i * H_RAM_ENTRY;
		snap_put_le(e, h->ram[i].gpa, 8);
		snap_put_le(e + 8, h->ram[i].size, 8);
		snap_put_le(e + 16, h->ram[i].offset, 8);
	}
	table = buf + h->table_offset;
	off = h->table_offset + (uint64_t)w->nr * SNAP_SECTION_ENTRY;
	for (i = 0; i < w->nr; i++) {
		off = align_up(off, 8);
		e = table + i * SNAP_SECTION_ENTRY;
		memcpy(buf + off, w->sec[i].buf, w->sec[i].len);
		snap_put_le(e, w->type[i], 4);
		snap_put_le(e + 4, w->index[i], 4);
		snap_put_le(e + 8, off, 8);
		snap_put_le(e + 16, w->sec[i].len, 8);
		snap_put_le(e + 24, snap_checksum(buf + off, w->sec[i].len), 8);
		off += w->sec[i].len;
	}
	snap_put_le(buf + H_TABLE_SUM,
		    snap_checksum(table, (size_t)w->nr * SNAP_SECTION_ENTRY), 8);
	snap_put_le(buf + SNAP_HEADER_SIZE - H_SUM_SIZE,
		    snap_checksum(buf, SNAP_HEADER_SIZE - H_SUM_SIZE), 8);
	*len = state_end;
	return buf;
}
