/* SPDX-License-Identifier: GPL-2.0 */
/* The 8259A pair of a PC: the master at 0x20, its slave on IR2 at 0xa0. */
#ifndef GUEST_PIC_H
#define GUEST_PIC_H

#include "guest.h"

#define PIC1_CMD		0x20
#define PIC1_DATA		0x21
#define PIC2_CMD		0xa0
#define PIC2_DATA		0xa1
#define PIC_EOI			0x20	/* OCW2 non-specific EOI */

/*
 * Program both (ICW1-4): master vectors @base1 + 0..7, slave @base2 +
 * 0..7, then interrupt masks @mask1 and @mask2. The master's spurious IR7
 * is ignored.
 */
void pic_init(uint8_t base1, uint8_t base2, uint8_t mask1, uint8_t mask2);

/* End the master's interrupt in service. */
static inline void pic_eoi(void)
{
	outb(PIC_EOI, PIC1_CMD);
}

#endif /* GUEST_PIC_H */
