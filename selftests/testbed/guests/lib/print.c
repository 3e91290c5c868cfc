// SPDX-License-Identifier: GPL-2.0
/*
 * printf() on COM1, for the guests' result lines: %s, %c, %u, %d and %x,
 * with a width and 0 padding; integers are 32-bit. A line is several port
 * writes, so each call holds a spinlock: lines of different CPUs never mix.
 */
#include "guest.h"
#include "uart.h"

static uint32_t print_lock;

/* Wait until the transmitter has room: bytes are never dropped. */
static void uart_putc(char c)
{
	while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE))
		;
	outb(c, COM1 + UART_THR);
}

static void put_string(const char *s)
{
	while (*s)
		uart_putc(*s++);
}

static void put_number(uint32_t v, unsigned int base, unsigned int width,
		       char pad)
{
	char digits[10];
	unsigned int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		uart_putc(pad);
	while (n)
		uart_putc(digits[--n]);
}

static void vprint(const char *fmt, va_list ap)
{
	unsigned int width;
	char pad;
	int32_t d;

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			uart_putc(*fmt);
			continue;
		}
		pad = *++fmt == '0' ? '0' : ' ';
		for (width = 0; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + *fmt - '0';
		switch (*fmt) {
		case 's':
			put_string(va_arg(ap, const char *));
			break;
		case 'c':
			uart_putc(va_arg(ap, int));
			break;
		case 'd':
			d = va_arg(ap, int32_t);
			if (d < 0)
				uart_putc('-');
			put_number(d < 0 ? -(uint32_t)d : (uint32_t)d, 10, width,
				   pad);
			break;
		case 'u':
			put_number(va_arg(ap, uint32_t), 10, width, pad);
			break;
		case 'x':
			put_number(va_arg(ap, uint32_t), 16, width, pad);
			break;
		case '\0':
			return;
		default:
			uart_putc(*fmt);
		}
	}
}

void printf(const char *fmt, ...)
{
	va_list ap;

	while (__atomic_exchange_n(&print_lock, 1, __ATOMIC_ACQUIRE))
		while (READ_ONCE(print_lock))
			cpu_relax();
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	__atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE);
}

__noreturn void debug_exit(uint32_t code)
{
	outl(code, DEBUG_EXIT_PORT);
	/* Only reached without a debug-exit device: halt for good. */
	for (;;) {
		cli();
		asm volatile("hlt");
	}
}

/*
 * Without the lock: a failure may come from an interrupt handler, or an
 * exception, that interrupted a printf() on this CPU.
 */
__noreturn void fail(uint32_t code, const char *fmt, ...)
{
	va_list ap;

	put_string(guest_name);
	put_string(": ");
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	uart_putc('\n');
	debug_exit(code);
}
