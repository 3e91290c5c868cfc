/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The snapshot file format (Documentation/snapshot.rst has it byte by
 * byte): a header, a table of sections, the sections, and guest memory,
 * each memory range page aligned in the file so that a restore can map
 * it, its zero pages left as holes. Every section, the table and the
 * header carry an XXH3-64 checksum (libxxhash); memory carries one per
 * chunk, in the memory section.
 *
 * This file is the format alone, with no machine and no module: the
 * encoder of sections the save assembles, and the parser that turns the
 * bytes before guest memory into a struct snap, trusting nothing. It is
 * what the host unit test and the fuzz harness exercise; snapshot.c
 * saves a machine through it and restore.c builds one from it.
 */
#ifndef VESSEL_VMM_SNAPFILE_H
#define VESSEL_VMM_SNAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vessel.h>

#include "hw/state.h"

#define SNAP_MAGIC		"VESSNAP"	/* and a NUL: 8 bytes */
#define SNAP_MAGIC_SIZE		8
/* The version this vessel writes; it reads SNAP_MAJOR.0 to .SNAP_MINOR. */
#define SNAP_MAJOR		1
#define SNAP_MINOR		1

#define SNAP_HEADER_SIZE	512
#define SNAP_ARCH_X86_64_VMX	1
/* Header flags. */
#define SNAP_F_LAPIC		(1U << 0)	/* VESSEL_VM_LAPIC */
#define SNAP_FLAGS_KNOWN	SNAP_F_LAPIC

#define SNAP_PAGE_SIZE		4096
#define SNAP_CHUNK_SIZE		(2U << 20)	/* what this vessel writes */
#define SNAP_MAX_RAM		8	/* memory ranges in the header */
#define SNAP_MAX_VCPUS		256
#define SNAP_MAX_DEVICES	16
#define SNAP_MAX_SECTIONS	(3 + 2 * SNAP_MAX_VCPUS + SNAP_MAX_DEVICES + 1)
#define SNAP_SECTION_ENTRY	32
#define SNAP_MAX_STRING		4096	/* a path or a command line */
#define SNAP_MAX_MODULES	64
/* The bytes before guest memory: header, table and sections. */
#define SNAP_MAX_STATE		(64U << 20)

/* Section types. */
#define SNAP_SEC_CONFIG		1
#define SNAP_SEC_CPUID		2
#define SNAP_SEC_VM		3
#define SNAP_SEC_VCPU		4
#define SNAP_SEC_POWER_ON	5
#define SNAP_SEC_DEVICE		6
#define SNAP_SEC_MEMORY		7

/* The features header words: which CPUID leaf, subleaf and register. */
#define SNAP_NR_FEATURES	8
struct snap_feature_word {
	uint32_t leaf, index;
	unsigned int reg;	/* 0 EAX, 1 EBX, 2 ECX, 3 EDX */
	const char *name;	/* "CPUID.7.0:EBX" */
};
extern const struct snap_feature_word snap_feature_words[SNAP_NR_FEATURES];

/* What the vCPU state parts of a file hold, in this order. */
#define SNAP_STATE_PARTS	(VESSEL_STATE_GPRS | VESSEL_STATE_SEGS |	\
				 VESSEL_STATE_CRS | VESSEL_STATE_DRS |		\
				 VESSEL_STATE_MSRS | VESSEL_STATE_FPU |		\
				 VESSEL_STATE_EVENTS)

/* One guest-physical range of RAM and where its bytes are in the file. */
struct snap_ram {
	uint64_t gpa, size, offset;
};

struct snap_section {
	uint32_t type, index;
	uint64_t offset, size, checksum;
};

/* The decoded header (its layout is snapshot.rst's). */
struct snap_header {
	uint16_t major, minor;
	uint32_t header_size;
	uint32_t arch;
	uint32_t flags;
	char vendor[13];
	uint32_t signature;	/* CPUID.1:EAX */
	uint16_t family, model;
	uint32_t stepping;
	uint32_t features[SNAP_NR_FEATURES];
	uint64_t xcr0;
	uint32_t provider, provider_version;
	uint32_t nr_vcpus;
	uint32_t nr_sections;
	uint64_t tsc_hz;
	uint64_t ram_size;
	uint32_t nr_ram;
	uint32_t page_size;
	uint64_t chunk_size;
	uint64_t table_offset;
	uint64_t table_checksum;
	uint64_t file_size;
	struct snap_ram ram[SNAP_MAX_RAM];
};

/* One vCPU as power-on or now: registers and, with a local APIC, more. */
struct snap_cpu {
	struct vessel_vcpu_state state;		/* SNAP_STATE_PARTS */
	struct vessel_lapic_state lapic;	/* SNAP_F_LAPIC */
	struct vessel_mp_state mp;		/* SNAP_F_LAPIC */
};

struct snap_vcpu {
	struct snap_cpu cpu;
	struct vessel_pv_state pv;		/* KVM and Hyper-V */
	struct vessel_pv_hv_msg_queue msgq;	/* Hyper-V */
};

/* What built the machine (struct vm_config's lasting part). */
struct snap_config {
	uint64_t mem;
	uint32_t cpus;
	uint32_t irqchip;	/* enum vm_irqchip */
	uint32_t format;	/* enum vessel_image_format */
	char *image;
	char *cmdline;		/* NULL: none */
	char *hv_debug;		/* NULL: none */
	uint32_t nr_modules;
	char **module_paths;
	char **module_cmdlines;	/* entries NULL: none */
};

struct snap_device {
	char name[HW_STATE_NAME_SIZE + 1];
	const uint8_t *record;	/* into the parsed buffer */
	size_t len;
};

/* A parsed file: everything but guest memory's contents. */
struct snap {
	struct snap_header h;
	struct snap_section *sections;
	struct snap_config cfg;
	struct vessel_cpuid_entry *cpuid;
	uint32_t nr_cpuid;
	uint64_t tsc;			/* the guest TSC when it was saved */
	struct vessel_pv_state pv_vm;
	struct snap_vcpu *vcpus;	/* h.nr_vcpus */
	struct snap_cpu *power_on;	/* h.nr_vcpus */
	struct snap_device devices[SNAP_MAX_DEVICES];
	unsigned int nr_devices;
	uint64_t *chunk_sums;
	uint64_t nr_chunks;
	uint64_t state_end;		/* bytes before the first memory range */
};

/* XXH3-64 with seed 0: every checksum of the format. */
uint64_t snap_checksum(const void *p, size_t len);

/* Little-endian fields at @p. */
uint64_t snap_get_le(const uint8_t *p, unsigned int n);
void snap_put_le(uint8_t *p, uint64_t v, unsigned int n);

/* Chunks of [@ram range]: ceil(size / chunk_size). */
uint64_t snap_ram_chunks(const struct snap_ram *r, uint64_t chunk_size);

/*
 * snap_parse_header() - decode and check the header in @buf (@len bytes
 * read from the file's start; a file of @file_size bytes). Returns 0 with
 * @h filled and state_end set, or -EINVAL (-EPROTONOSUPPORT for a version
 * this vessel does not read) with one line in @err.
 */
int snap_parse_header(const uint8_t *buf, size_t len, uint64_t file_size,
		      struct snap_header *h, uint64_t *state_end,
		      char *err, size_t errlen);

/*
 * snap_parse() - check and decode every state byte of a file: @buf holds
 * its first @len bytes, at least the state_end snap_parse_header() gave
 * (what follows is not read). Returns 0 with @s filled (free it with
 * snap_free()), or a negative errno with one line in @err naming what is
 * wrong and @s empty.
 */
int snap_parse(const uint8_t *buf, size_t len, uint64_t file_size,
	       struct snap *s, char *err, size_t errlen);
void snap_free(struct snap *s);

/* The host's name of a provider, for messages. */
const char *snap_provider_name(uint32_t provider);

/* ---- Writing ---------------------------------------------------------- */

/*
 * The sections of a file being written, each built in its own buffer,
 * then laid out with snap_layout() and encoded with snap_encode().
 */
struct snap_writer {
	struct snap_header h;
	struct hw_state_out sec[SNAP_MAX_SECTIONS];
	uint32_t type[SNAP_MAX_SECTIONS], index[SNAP_MAX_SECTIONS];
	unsigned int nr;
	int error;		/* -ENOMEM or -E2BIG: a section was lost */
};

void snap_writer_init(struct snap_writer *w);
void snap_writer_free(struct snap_writer *w);
/* Start a new section; its payload goes to the buffer returned. */
struct hw_state_out *snap_section(struct snap_writer *w, uint32_t type,
				  uint32_t index);

/* The payload encoders, one per section type. */
void snap_put_config(struct hw_state_out *o, const struct snap_config *c);
void snap_put_cpuid(struct hw_state_out *o,
		    const struct vessel_cpuid_entry *e, uint32_t nr);
void snap_put_vm(struct hw_state_out *o, uint64_t tsc, uint32_t provider,
		 const struct vessel_pv_state *pv);
void snap_put_cpu(struct hw_state_out *o, const struct snap_cpu *cpu,
		  bool lapic);
void snap_put_vcpu_pv(struct hw_state_out *o, uint32_t provider,
		      const struct vessel_pv_state *pv,
		      const struct vessel_pv_hv_msg_queue *msgq);

/*
 * Fill the header's CPU fields from the guest's CPUID table. Returns 0,
 * or -EINVAL when the table lacks leaf 0 or 1.
 */
int snap_header_cpu(struct snap_header *h,
		    const struct vessel_cpuid_entry *e, uint32_t nr);

/*
 * snap_layout() - place the sections after the header and table, then
 * the RAM ranges (h.nr_ram of them, gpa and size set) page aligned after
 * those, with the memory section sized for their chunks. Sets the
 * header's offsets, sizes and counts. Call once every section but the
 * memory one is written; it adds that one, zeroed. Returns 0 or -errno.
 */
int snap_layout(struct snap_writer *w);

/*
 * snap_encode() - the bytes before memory (header, table, sections), with
 * the chunk checksums @sums (snap_layout()'s count of them) in the memory
 * section and every checksum computed. Returns a malloc'ed buffer of
 * @*len bytes (the header's state end), or NULL.
 */
uint8_t *snap_encode(struct snap_writer *w, const uint64_t *sums,
		     size_t *len);

#endif /* VESSEL_VMM_SNAPFILE_H */
