// SPDX-License-Identifier: GPL-2.0
#include "pic.h"

#define PIC_ICW1		0x11	/* edge, cascade, ICW4 follows */
#define PIC1_ICW3		0x04	/* a slave on IR2 */
#define PIC2_ICW3		0x02	/* slave ID 2 */
#define PIC_ICW4		0x01	/* 8086 mode, normal EOI */
#define PIC_SPURIOUS_IR		7	/* what a PIC with nothing pending sends */

void pic_init(uint8_t base1, uint8_t base2, uint8_t mask1, uint8_t mask2)
{
	set_irq_handler(base1 + PIC_SPURIOUS_IR, irq_ignore);
	outb(PIC_ICW1, PIC1_CMD);
	outb(PIC_ICW1, PIC2_CMD);
	outb(base1, PIC1_DATA);
	outb(base2, PIC2_DATA);
	outb(PIC1_ICW3, PIC1_DATA);
	outb(PIC2_ICW3, PIC2_DATA);
	outb(PIC_ICW4, PIC1_DATA);
	outb(PIC_ICW4, PIC2_DATA);
	outb(mask1, PIC1_DATA);
	outb(mask2, PIC2_DATA);
}
