/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The runtime of the multiboot test guests that `vessel run` boots: what
 * every guest has (entry, GDT and IDT, COM1, the exit port, printing) and
 * the instructions C cannot express. Guests are 32-bit, protected mode,
 * paging off, so an address is a physical address.
 *
 * A guest defines guest_name (the prefix of its failure lines) and
 * guest_main(), which the runtime calls on the boot processor with the
 * GDT and an IDT loaded and interrupts off. Its return value ends the VM
 * through the debug-exit port: `vessel run` exits with (value << 1) | 1.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

/* Exit codes every guest uses the same way; the others are its own. */
#define EXIT_OK			42	/* status (42 << 1) | 1 = 85 */
#define EXIT_UNEXPECTED		0x15	/* an unexpected vector: status 43 */

#define DEBUG_EXIT_PORT		0xf4
#define BIOS_AREA_END		0x100000	/* firmware tables lie below */

/* The multiboot v1 boot information (EBX at entry), as far as we read. */
#define MB_BOOT_MAGIC		0x2badb002	/* in EAX at entry */
#define MB_INFO_HAS_CMDLINE	(1 << 2)

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower;
	uint32_t mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
};

extern const char *const guest_name;
int guest_main(uint32_t magic, const struct mb_info *mbi);

/* Port I/O: outb(), inb(), outl(), inl(), as the kernel builds them. */
#define BUILD_IO(bwl, type)						\
static inline void out##bwl(type v, uint16_t port)			\
{									\
	asm volatile("out" #bwl " %0, %1" : : "a"(v), "Nd"(port));	\
}									\
static inline type in##bwl(uint16_t port)				\
{									\
	type v;								\
									\
	asm volatile("in" #bwl " %1, %0" : "=a"(v) : "Nd"(port));	\
	return v;							\
}

BUILD_IO(b, uint8_t)
BUILD_IO(l, uint32_t)

/*
 * MMIO with MOV only, as the kernel's readl()/writel(): Vessel decodes the
 * MOV family of MMIO instructions, and a plain dereference may compile to
 * another (a TEST or an OR with memory).
 */
static inline uint32_t readl(uint32_t addr)
{
	uint32_t v;

	asm volatile("movl %1, %0" : "=r"(v)
		     : "m"(*(const __volatile__ uint32_t *)addr) : "memory");
	return v;
}

static inline void writel(uint32_t v, uint32_t addr)
{
	asm volatile("movl %0, %1" : : "r"(v),
		     "m"(*(__volatile__ uint32_t *)addr) : "memory");
}

/* The CPU. */
static inline void cli(void)
{
	asm volatile("cli" : : : "memory");
}

static inline void sti(void)
{
	asm volatile("sti" : : : "memory");
}

/* STI's one-instruction shadow covers the HLT: no wake-up is lost. */
static inline void safe_halt(void)
{
	asm volatile("sti; hlt" : : : "memory");
}

static inline void cpu_relax(void)
{
	asm volatile("pause" : : : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b,
			 uint32_t *c, uint32_t *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
		     : "a"(leaf), "c"(0));
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint64_t v;

	asm volatile("rdmsr" : "=A"(v) : "c"(msr));
	return v;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "A"(v) : "memory");
}

/* Interrupts and exceptions: a handler per vector, the rest unexpected. */
typedef void (*irq_handler_t)(void);

void idt_load(void);
void set_irq_handler(uint8_t vector, irq_handler_t handler);
/* For spurious vectors: nothing to acknowledge. */
void irq_ignore(void);
/*
 * Enable interrupts and spin, @loops times at most, until *@count reaches
 * @nr; false if it never did. Returns with interrupts disabled.
 */
bool sti_wait(const uint32_t *count, uint32_t nr, uint32_t loops);

/* Output on COM1 and the way out. */
__printf(1, 2) void printf(const char *fmt, ...);
__noreturn void debug_exit(uint32_t code);
/* Print "guest_name: MESSAGE\n" and exit with @code. */
__printf(2, 3) __noreturn void fail(uint32_t code, const char *fmt, ...);

const char *mb_cmdline(const struct mb_info *mbi);

/* The little of the C library that guests and GCC use. */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
int strcmp(const char *a, const char *b);

/* Whether the @len bytes at @p sum to 0 (mod 256), as ACPI and MP want. */
bool checksum_ok(const void *p, size_t len);

#endif /* GUEST_H */
