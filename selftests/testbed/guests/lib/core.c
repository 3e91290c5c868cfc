// SPDX-License-Identifier: GPL-2.0
/*
 * The runtime's C side: the start of the boot processor, the IDT and the
 * dispatch of every vector to a guest's handler, and the few library
 * functions the guests use.
 */
#include "entry.h"

#define IDT_GATE_INTR32		0x8e00	/* present, DPL 0, 32-bit interrupt gate */

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint16_t flags;
	uint16_t offset_hi;
};

static struct idt_gate idt[256] __aligned(8);
static irq_handler_t irq_handlers[256];

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __packed desc = { sizeof(idt) - 1, (uint32_t)idt };

	asm volatile("lidt %0" : : "m"(desc));
}

void set_irq_handler(uint8_t vector, irq_handler_t handler)
{
	WRITE_ONCE(irq_handlers[vector], handler);
}

void irq_ignore(void)
{
}

/* Called by interrupt_common, with interrupts off (interrupt gates). */
void interrupt_dispatch(struct irq_frame *f)
{
	irq_handler_t handler = READ_ONCE(irq_handlers[f->vector & 0xff]);

	if (!handler)
		fail(EXIT_UNEXPECTED,
		     "unexpected interrupt or exception: vector %u, error code %x, EIP %x",
		     f->vector, f->error_code, f->eip);
	handler();
}

bool sti_wait(const uint32_t *count, uint32_t nr, uint32_t loops)
{
	bool reached = false;

	sti();
	while (loops-- && !reached)
		reached = READ_ONCE(*count) >= nr;
	cli();
	return reached;
}

/* Called by _start; every vector is unexpected until a handler is set. */
__noreturn void guest_start(uint32_t magic, const struct mb_info *mbi)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(idt); i++)
		idt[i] = (struct idt_gate) {
			.offset_lo = interrupt_stubs[i] & 0xffff,
			.selector = CODE_SEL,
			.flags = IDT_GATE_INTR32,
			.offset_hi = interrupt_stubs[i] >> 16,
		};
	idt_load();
	debug_exit(guest_main(magic, mbi));
}

const char *mb_cmdline(const struct mb_info *mbi)
{
	if (!(mbi->flags & MB_INFO_HAS_CMDLINE))
		return "";
	return (const char *)mbi->cmdline;
}

bool checksum_ok(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return !sum;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;

	while (n--)
		*d++ = c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (uint8_t)*a - (uint8_t)*b;
}
