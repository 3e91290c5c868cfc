// SPDX-License-Identifier: GPL-2.0
/*
 * hvdebug_mb: a guest that talks to a debugger through Hyper-V's synthetic
 * debugger hypercalls, for `vessel run --paravirt hyperv --hv-debug LINK`.
 * It finds Hyper-V with debugging privileges, enables the hypercall page
 * and, with the 32-bit calling convention:
 *
 *  1. HvResetDebugSession, then posts its 24-byte answer (the two ends'
 *     addresses and ports) as the first thing the debugger gets;
 *  2. posts "hvdebug_mb: hello, debugger\n";
 *  3. retrieves CHUNK bytes at a time, waiting up to half a second for
 *     each, and posts every chunk straight back, until a retrieval finds
 *     no data (HV_STATUS_NO_DATA). Within one run of data the remaining
 *     count must fall by what each call retrieved, and be 0 when the data
 *     runs out.
 *
 * Then it prints "hvdebug_mb: echoed N bytes" on COM1 and exits with 42
 * (status 85). Failures print "hvdebug_mb: failed" and exit with a code
 * naming the step: 0x11 no Hyper-V debugging, 0x12 reset, 0x13 post, 0x14
 * retrieve (status or counts); an unexpected exception exits with 0x15.
 */
#include "hyperv.h"

#define HV_DEBUGGING		(1 << 11)	/* EBX: the debug calls */
#define HV_HYPERCALL_ENABLE	1
#define HV_POST_DEBUG_DATA	0x69
#define HV_RETRIEVE_DEBUG_DATA	0x6a
#define HV_RESET_DEBUG_SESSION	0x6b
#define HV_STATUS_NO_DATA	0x1b
#define HV_RESET_OUT_BYTES	24

#define CHUNK			5
#define TIMEOUT_100NS		5000000		/* half a second */
#define HELLO			"hvdebug_mb: hello, debugger\n"

#define EXIT_NO_HYPERV		0x11
#define EXIT_RESET		0x12
#define EXIT_POST		0x13
#define EXIT_RETRIEVE		0x14

#define PAGE_SIZE		4096

const char *const guest_name = "hvdebug_mb";

static uint8_t hcall_page[PAGE_SIZE] __aligned(PAGE_SIZE);

/* The calls' input and output pages. */
static union {
	struct {
		uint32_t count, options;
		uint8_t data[PAGE_SIZE - 8];
	} post;
	struct {
		uint32_t count, options;
		uint64_t timeout;
	} retrieve;
	struct {
		uint32_t options;
	} reset;
} in __aligned(PAGE_SIZE);

static union {
	struct {
		uint32_t pending;
	} post;
	struct {
		uint32_t retrieved, remaining;
		uint8_t data[PAGE_SIZE - 8];
	} retrieve;
	uint8_t reset[HV_RESET_OUT_BYTES];
} out __aligned(PAGE_SIZE);

/*
 * Call @code (no rep count, no variable header) with the pages in and out:
 * control in EDX:EAX, input GPA in EBX:ECX, output GPA in EDI:ESI; the
 * status comes back in AX.
 */
static uint16_t hypercall(uint32_t code)
{
	uint32_t eax = code, edx = 0, ebx = 0, ecx = (uint32_t)&in;
	uint32_t edi = 0, esi = (uint32_t)&out;

	asm volatile("call %P[page]"
		     : "+a"(eax), "+d"(edx), "+b"(ebx), "+c"(ecx), "+D"(edi),
		       "+S"(esi)
		     : [page] "i"(hcall_page)
		     : "memory", "cc");
	return eax;
}

/* HvPostDebugData of @n bytes at @data; all must go. */
static void post(const void *data, uint32_t n)
{
	in.post.count = n;
	in.post.options = 0;
	memcpy(in.post.data, data, n);
	if (hypercall(HV_POST_DEBUG_DATA) || out.post.pending)
		fail(EXIT_POST, "failed");
}

/* Retrieve and post back until the debugger has nothing more. */
static uint32_t echo(void)
{
	uint32_t n, remaining = 0, echoed = 0;
	uint16_t status;

	for (;;) {
		in.retrieve.count = CHUNK;
		in.retrieve.options = 0;
		in.retrieve.timeout = TIMEOUT_100NS;
		status = hypercall(HV_RETRIEVE_DEBUG_DATA);
		if (status == HV_STATUS_NO_DATA)
			break;
		n = out.retrieve.retrieved;
		if (status || !n || n > CHUNK)
			fail(EXIT_RETRIEVE, "failed");
		/* Mid-run, remaining falls by what was retrieved. */
		if (remaining && remaining - n != out.retrieve.remaining)
			fail(EXIT_RETRIEVE, "failed");
		remaining = out.retrieve.remaining;
		echoed += n;
		post(out.retrieve.data, n);
	}
	/* Nothing more: the last retrieval must have said so, too. */
	if (remaining)
		fail(EXIT_RETRIEVE, "failed");
	return echoed;
}

int guest_main(uint32_t magic, const struct mb_info *mbi)
{
	uint32_t features, privileges;

	if (!hv_features(&features, &privileges) ||
	    !(privileges & HV_DEBUGGING))
		fail(EXIT_NO_HYPERV, "failed");
	wrmsr(HV_MSR_GUEST_OS_ID, HV_OS_ID_OPEN_SOURCE);
	wrmsr(HV_MSR_HYPERCALL, (uint32_t)hcall_page | HV_HYPERCALL_ENABLE);

	/* 1. Reset, and tell the debugger what the reset said. */
	in.reset.options = 0;
	if (hypercall(HV_RESET_DEBUG_SESSION))
		fail(EXIT_RESET, "failed");
	post(out.reset, sizeof(out.reset));
	/* 2. Hello. */
	post(HELLO, sizeof(HELLO) - 1);
	/* 3. Echo. */
	printf("hvdebug_mb: echoed %u bytes\n", echo());
	return EXIT_OK;
}
