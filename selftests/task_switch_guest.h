/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The labels of task_switch_test.c's 32-bit guest code (its top-level
 * asm): code addresses, not C functions.
 */
#ifndef SELFTEST_TASK_SWITCH_GUEST_H
#define SELFTEST_TASK_SWITCH_GUEST_H

void g_jmp_main(void);
void g_jmp_after(void);
void g_task_b(void);
void g_call_main(void);
void g_task_b_call(void);
void g_int_main(void);
void g_irq_main(void);
void g_task_c(void);
void g_exc_main(void);
void g_exc_fault(void);
void g_task_d(void);
void g_t16_main(void);
void g_t16_code(void);
void g_t16_iret(void);
void g_t16_end(void);
void g_neg_main(void);
void g_pae_main(void);
void g_task_b_pae(void);
void g_handler_np(void);
void g_handler_gp(void);
void g_handler_ts(void);
void g_handler_ss(void);
void g_handler_db(void);
void g_fault_resume(void);

#endif /* SELFTEST_TASK_SWITCH_GUEST_H */
