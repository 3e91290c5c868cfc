// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging: VESSEL_MEM_LOG_DIRTY, VESSEL_GET_DIRTY_LOG and
 * VESSEL_CLEAR_DIRTY_LOG.  Every page the guest (or the kernel for it)
 * writes is reported, reads are not, clearing protects again, a copy made
 * round by round as a live migration makes it misses no write while 1 and
 * 4 vCPUs write at once, logging splits 2 MiB mappings and turning it off
 * brings them back, and a logging slot can go away under a running guest.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define PAGE		4096ULL
#define LOG_SLOT	1
#define LOG_GPA		0x40000000ULL	/* inside the identity map */
#define LOG_PAGES	1024ULL		/* 4 MiB: two 2 MiB pages */
#define LOG_SIZE	(LOG_PAGES * PAGE)
#define LOG_WORDS	(LOG_PAGES / 64)
#define TEST_PORT	0x99
#define HUGE		(2ULL << 20)

/* ------------------------------------------------------------ helpers */

/* 2 MiB aligned anonymous memory that may be backed by huge pages. */
static void *mmap_huge_aligned(uint64_t size)
{
	uint8_t *p = mmap(NULL, size + HUGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *a;

	TEST_ASSERT(p != MAP_FAILED, "mmap: %s", strerror(errno));
	a = (uint8_t *)(((uintptr_t)p + HUGE - 1) & ~(HUGE - 1));
	TEST_ASSERT(!madvise(a, size, MADV_HUGEPAGE), "madvise: %s",
		    strerror(errno));
	return a;
}

/*
 * 2 MiB huge pages from hugetlbfs, reserving them first.  Not transparent
 * huge pages: Linux turns those off on a machine with under 512 MiB, as
 * the test machine is.  NULL when the host has no 2 MiB page to give.
 */
static long nr_hugepages_before = -1;

static void *mmap_hugetlb(uint64_t size)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r+");
	long nr = -1, want;
	void *p;

	if (!f)
		return NULL;
	if (fscanf(f, "%ld", &nr) == 1 && nr_hugepages_before < 0)
		nr_hugepages_before = nr;
	want = nr_hugepages_before + size / HUGE;
	rewind(f);
	fprintf(f, "%ld\n", want);
	fclose(f);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void hugetlb_release(void)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");

	if (f && nr_hugepages_before >= 0)
		fprintf(f, "%ld\n", nr_hugepages_before);
	if (f)
		fclose(f);
}

static int set_region(struct vm *vm, uint32_t slot, uint32_t flags,
		      uint64_t gpa, uint64_t size, void *hva)
{
	struct vessel_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.size = size, .userspace_addr = (uintptr_t)hva,
	};

	return __vm_ioctl(vm, VESSEL_SET_MEMORY_REGION, &r);
}

static int dirty_ioctl(struct vm *vm, unsigned long cmd, uint32_t slot,
		       uint64_t first, uint64_t num, uint64_t *bitmap)
{
	struct vessel_dirty_log d = {
		.slot = slot, .first_page = first, .num_pages = num,
		.bitmap = (uintptr_t)bitmap,
	};

	return __vm_ioctl(vm, cmd, &d);
}

static void get_log(struct vm *vm, uint64_t *bitmap)
{
	TEST_ASSERT(!dirty_ioctl(vm, VESSEL_GET_DIRTY_LOG, LOG_SLOT, 0,
				 LOG_PAGES, bitmap),
		    "VESSEL_GET_DIRTY_LOG: %s", strerror(errno));
}

static void clear_log(struct vm *vm, uint64_t *bitmap)
{
	TEST_ASSERT(!dirty_ioctl(vm, VESSEL_CLEAR_DIRTY_LOG, LOG_SLOT, 0,
				 LOG_PAGES, bitmap),
		    "VESSEL_CLEAR_DIRTY_LOG: %s", strerror(errno));
}

static void clear_all(struct vm *vm)
{
	uint64_t all[LOG_WORDS];

	memset(all, 0xff, sizeof(all));
	clear_log(vm, all);
}

static bool bit(const uint64_t *bitmap, uint64_t pg)
{
	return bitmap[pg / 64] & (1ULL << (pg % 64));
}

static unsigned int count_bits(const uint64_t *bitmap, uint64_t words)
{
	unsigned int n = 0;
	uint64_t i;

	for (i = 0; i < words; i++)
		n += __builtin_popcountll(bitmap[i]);
	return n;
}

static void counters(struct vm *vm, struct vessel_counters *c)
{
	memset(c, 0, sizeof(*c));
	vm_ioctl(vm, VESSEL_GET_COUNTERS, c);
}

/*
 * Whether the module logs by the EPT's dirty flags (its parameter
 * dirty_log_mode 1, or 2 with PML, on a CPU with them) rather than by write
 * protection: then no write faults are counted.
 */
static bool logs_by_dirty_flags(void)
{
	FILE *f = fopen("/sys/module/vessel/parameters/dirty_log_mode", "r");
	struct vessel_caps caps;
	int c = f ? fgetc(f) : '0';

	if (f)
		fclose(f);
	return c != '0' && !vessel_caps_read(&caps) &&
	       (caps.flags & VESSEL_CAP_EPT_AD);
}

/* A VM whose slot 1 logs, and its memory. */
static struct vm *log_vm(unsigned int nr_vcpus, void *guest_code,
			 uint8_t **mem)
{
	struct vm *vm = vm_create(nr_vcpus, 0, guest_code);

	*mem = vm_mem_add(vm, LOG_SLOT, VESSEL_MEM_LOG_DIRTY, LOG_GPA,
			  LOG_SIZE, NULL);
	return vm;
}

/* ------------------------------------------------------------ the ABI */

TEST(cap)
{
	struct vessel_caps caps;

	ASSERT_EQ(0, vessel_caps_read(&caps));
	EXPECT_TRUE(caps.flags & VESSEL_CAP_DIRTY_LOG);
}

static void guest_nothing(void)
{
	GUEST_DONE();
}

TEST(region_flags)
{
	struct vm *vm = vm_create(1, 0, guest_nothing);
	uint8_t *mem = mmap_huge_aligned(LOG_SIZE);

	/* An unknown flag, and logging a slot the guest cannot write. */
	EXPECT_EQ(-1, set_region(vm, LOG_SLOT, 1U << 2, LOG_GPA, LOG_SIZE, mem));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, set_region(vm, LOG_SLOT,
				 VESSEL_MEM_READONLY | VESSEL_MEM_LOG_DIRTY,
				 LOG_GPA, LOG_SIZE, mem));
	EXPECT_EQ(EINVAL, errno);
	/* On, off, on again: the same slot changed in place. */
	EXPECT_EQ(0, set_region(vm, LOG_SLOT, VESSEL_MEM_LOG_DIRTY, LOG_GPA,
				LOG_SIZE, mem));
	EXPECT_EQ(0, set_region(vm, LOG_SLOT, 0, LOG_GPA, LOG_SIZE, mem));
	EXPECT_EQ(0, set_region(vm, LOG_SLOT, VESSEL_MEM_LOG_DIRTY, LOG_GPA,
				LOG_SIZE, mem));
	vm_free(vm);
}

TEST(dirty_log_errnos)
{
	uint64_t bitmap[LOG_WORDS + 1] = { 0 };
	struct vessel_dirty_log d;
	uint8_t *mem;
	struct vm *vm = log_vm(1, guest_nothing, &mem);

	(void)mem;
	vm_mem_add(vm, 2, 0, 2 * LOG_GPA, LOG_SIZE, NULL);
	/* The whole slot, and a range of it, work. */
	EXPECT_EQ(0, dirty_ioctl(vm, VESSEL_GET_DIRTY_LOG, LOG_SLOT, 0,
				 LOG_PAGES, bitmap));
	EXPECT_EQ(0, dirty_ioctl(vm, VESSEL_GET_DIRTY_LOG, LOG_SLOT, 64, 128,
				 bitmap));

	for (int cmd = 0; cmd < 2; cmd++) {
		unsigned long c = cmd ? VESSEL_CLEAR_DIRTY_LOG :
					VESSEL_GET_DIRTY_LOG;

		/* A slot that does not log; no slot; beyond the slots. */
		EXPECT_EQ(-1, dirty_ioctl(vm, c, 2, 0, 64, bitmap));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, dirty_ioctl(vm, c, 3, 0, 64, bitmap));
		EXPECT_EQ(ENOENT, errno);
		EXPECT_EQ(-1, dirty_ioctl(vm, c, 1000, 0, 64, bitmap));
		EXPECT_EQ(EINVAL, errno);
		/* Ranges: unaligned, empty, past the end, overflowing. */
		EXPECT_EQ(-1, dirty_ioctl(vm, c, LOG_SLOT, 1, 64, bitmap));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, dirty_ioctl(vm, c, LOG_SLOT, 0, 0, bitmap));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, dirty_ioctl(vm, c, LOG_SLOT, 64, LOG_PAGES,
					  bitmap));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, dirty_ioctl(vm, c, LOG_SLOT, 64, ~0ULL - 32,
					  bitmap));
		EXPECT_EQ(EINVAL, errno);
		/* Not a multiple of 64 and not up to the slot's end. */
		EXPECT_EQ(-1, dirty_ioctl(vm, c, LOG_SLOT, 0, 65, bitmap));
		EXPECT_EQ(EINVAL, errno);
		/* A bad user pointer. */
		EXPECT_EQ(-1, dirty_ioctl(vm, c, LOG_SLOT, 0, LOG_PAGES,
					  (uint64_t *)8));
		EXPECT_EQ(EFAULT, errno);

		/* Flags and reserved. */
		memset(&d, 0, sizeof(d));
		d.slot = LOG_SLOT;
		d.num_pages = 64;
		d.bitmap = (uintptr_t)bitmap;
		d.flags = 1;
		EXPECT_EQ(-1, __vm_ioctl(vm, c, &d));
		EXPECT_EQ(EINVAL, errno);
		d.flags = 0;
		d.reserved[3] = 1;
		EXPECT_EQ(-1, __vm_ioctl(vm, c, &d));
		EXPECT_EQ(EINVAL, errno);
		/* The struct itself unreadable. */
		EXPECT_EQ(-1, __vm_ioctl(vm, c, (void *)8));
		EXPECT_EQ(EFAULT, errno);
		/* Not a vCPU ioctl. */
		EXPECT_EQ(-1, __vcpu_ioctl(vm->vcpus[0], c, &d));
		EXPECT_EQ(ENOTTY, errno);
	}
	vm_free(vm);
}

/* CLEAR of a range that ends with the slot: bits past it must be 0. */
TEST(clear_bits_past_the_slot)
{
	struct vm *vm = vm_create(1, 0, guest_nothing);
	uint64_t bitmap[2] = { ~0ULL, 0 };

	vm_mem_add(vm, LOG_SLOT, VESSEL_MEM_LOG_DIRTY, LOG_GPA, 100 * PAGE,
		   NULL);
	/* 100 pages: the second word has 36 bits. */
	EXPECT_EQ(0, dirty_ioctl(vm, VESSEL_GET_DIRTY_LOG, LOG_SLOT, 0, 100,
				 bitmap));
	EXPECT_EQ(~0ULL, bitmap[0]);
	EXPECT_EQ((1ULL << 36) - 1, bitmap[1]);
	EXPECT_EQ(0, dirty_ioctl(vm, VESSEL_GET_DIRTY_LOG, LOG_SLOT, 64, 36,
				 bitmap));
	EXPECT_EQ((1ULL << 36) - 1, bitmap[0]);
	bitmap[0] = ~0ULL;
	bitmap[1] = 1ULL << 36;
	EXPECT_EQ(-1, dirty_ioctl(vm, VESSEL_CLEAR_DIRTY_LOG, LOG_SLOT, 0, 100,
				  bitmap));
	EXPECT_EQ(EINVAL, errno);
	/* Nothing was cleared. */
	EXPECT_EQ(0, dirty_ioctl(vm, VESSEL_GET_DIRTY_LOG, LOG_SLOT, 0, 100,
				 bitmap));
	EXPECT_EQ(~0ULL, bitmap[0]);
	bitmap[0] = ~0ULL;
	bitmap[1] = (1ULL << 36) - 1;
	EXPECT_EQ(0, dirty_ioctl(vm, VESSEL_CLEAR_DIRTY_LOG, LOG_SLOT, 0, 100,
				 bitmap));
	EXPECT_EQ(0, dirty_ioctl(vm, VESSEL_GET_DIRTY_LOG, LOG_SLOT, 0, 100,
				 bitmap));
	EXPECT_EQ(0, bitmap[0]);
	EXPECT_EQ(0, bitmap[1]);
	vm_free(vm);
}

/* ------------------------------------------------- what is reported */

/* Page @pg of the logging slot is written in round @round. */
static bool guest_writes(uint64_t round, uint64_t pg)
{
	return round == 0 ? pg % 3 == 0 : pg % 5 == 1 || pg == LOG_PAGES - 1;
}

/*
 * Round 0: write the pages of guest_writes(0); read every page.  Round 1:
 * the same with guest_writes(1).  Round 2: read every page only.  Round
 * 3: one byte into page 7 through string I/O, which the kernel writes.
 */
static void guest_rounds(void)
{
	uint64_t round, pg, sum = 0;
	uint8_t *p = (uint8_t *)LOG_GPA + 7 * PAGE + 100;
	uint64_t cnt = 1;

	for (round = 0; round < 3; round++) {
		for (pg = 0; pg < LOG_PAGES; pg++)
			if (round < 2 && guest_writes(round, pg))
				WRITE_ONCE(*(uint64_t *)(LOG_GPA + pg * PAGE),
					   round + 1);
		for (pg = 0; pg < LOG_PAGES; pg++)
			sum += READ_ONCE(*(uint64_t *)(LOG_GPA + pg * PAGE + 8));
		GUEST_SYNC(round);
	}
	asm volatile("rep insb" : "+D"(p), "+c"(cnt) : "d"(TEST_PORT) : "memory");
	GUEST_SYNC(sum);
	GUEST_DONE();
}

static void expect_exactly(struct __test_metadata *_metadata,
			   const uint64_t *bitmap, uint64_t round)
{
	unsigned int missed = 0, extra = 0;
	uint64_t pg;

	for (pg = 0; pg < LOG_PAGES; pg++) {
		bool w = round < 2 && guest_writes(round, pg);

		if (w && !bit(bitmap, pg))
			missed++;
		else if (!w && bit(bitmap, pg))
			extra++;
	}
	EXPECT_EQ(0, missed) TH_LOG("round %lu", (unsigned long)round);
	EXPECT_EQ(0, extra) TH_LOG("round %lu", (unsigned long)round);
}

TEST(every_written_page_is_reported)
{
	uint64_t bitmap[LOG_WORDS], round;
	struct vessel_counters c0, c1;
	bool ad = logs_by_dirty_flags();
	struct vcpu *vcpu;
	uint8_t *mem;
	struct vm *vm = log_vm(1, guest_rounds, &mem);

	vcpu = vm->vcpus[0];
	TH_LOG("logging by %s", ad ? "EPT dirty flags" : "write protection");
	/* Logging starts with every page dirty. */
	get_log(vm, bitmap);
	EXPECT_EQ(LOG_PAGES, count_bits(bitmap, LOG_WORDS));
	clear_all(vm);
	get_log(vm, bitmap);
	EXPECT_EQ(0, count_bits(bitmap, LOG_WORDS));

	for (round = 0; round < 3; round++) {
		counters(vm, &c0);
		vcpu_run_expect_sync(vcpu, round);
		counters(vm, &c1);
		get_log(vm, bitmap);
		expect_exactly(_metadata, bitmap, round);
		/*
		 * Each page reported took one write fault; in round 1 the
		 * pages of round 0 were mapped, and protected again by CLEAR.
		 * By dirty flags, none.
		 */
		EXPECT_EQ(ad ? 0 : count_bits(bitmap, LOG_WORDS),
			  c1.dirty_faults - c0.dirty_faults);
		clear_log(vm, bitmap);
	}

	/* The kernel's write for the guest's INSB. */
	vcpu_run(vcpu);
	TEST_ASSERT_IO_EXIT(vcpu, TEST_PORT, 1, VESSEL_IO_IN);
	*(uint8_t *)vcpu_io_data(vcpu) = 0x5a;
	vcpu_run(vcpu);
	ASSERT_EQ(0x5a, mem[7 * PAGE + 100]);
	get_log(vm, bitmap);
	EXPECT_EQ(1, count_bits(bitmap, LOG_WORDS));
	EXPECT_TRUE(bit(bitmap, 7));
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* Write page @pg (arg) each time it syncs, until told to stop (arg ~0). */
static void guest_write_page(uint64_t id, uint64_t pg)
{
	uint64_t n;

	for (n = 1; pg != ~0ULL; n++) {
		WRITE_ONCE(*(uint64_t *)(LOG_GPA + pg * PAGE), n);
		GUEST_SYNC(n);
		pg = READ_ONCE(*(uint64_t *)(LOG_GPA + 8));
	}
	GUEST_DONE();
}

/* CLEAR of part of the bitmap leaves the rest set, and protects only it. */
TEST(clear_only_what_was_copied)
{
	uint64_t bitmap[LOG_WORDS], half[LOG_WORDS] = { 0 };
	struct vcpu *vcpu;
	uint8_t *mem;
	struct vm *vm = log_vm(1, guest_write_page, &mem);

	vcpu = vm->vcpus[0];
	/* Clear the first half only. */
	memset(half, 0xff, sizeof(half) / 2);
	clear_log(vm, half);
	get_log(vm, bitmap);
	EXPECT_EQ(LOG_PAGES / 2, count_bits(bitmap, LOG_WORDS));
	EXPECT_FALSE(bit(bitmap, 0));
	EXPECT_TRUE(bit(bitmap, LOG_PAGES / 2));

	/* Page 0 is the one the guest writes: reported again. */
	*(uint64_t *)(mem + 8) = 0;
	vcpu_args_set(vcpu, 2, 0ULL, 0ULL);
	vcpu_run_expect_sync(vcpu, 1);
	get_log(vm, bitmap);
	EXPECT_TRUE(bit(bitmap, 0));
	EXPECT_EQ(LOG_PAGES / 2 + 1, count_bits(bitmap, LOG_WORDS));

	/* Cleared: written again after CLEAR, reported again. */
	memset(half, 0, sizeof(half));
	half[0] = 1;
	clear_log(vm, half);
	get_log(vm, bitmap);
	EXPECT_FALSE(bit(bitmap, 0));
	vcpu_run_expect_sync(vcpu, 2);
	get_log(vm, bitmap);
	EXPECT_TRUE(bit(bitmap, 0));
	EXPECT_EQ(2, *(uint64_t *)mem);

	/* A range of the bitmap: words 8 and 9 only. */
	memset(half, 0xff, sizeof(half));
	EXPECT_EQ(0, dirty_ioctl(vm, VESSEL_CLEAR_DIRTY_LOG, LOG_SLOT, 512, 128,
				 half));
	get_log(vm, bitmap);
	EXPECT_EQ(0, bitmap[8]);
	EXPECT_EQ(0, bitmap[9]);
	EXPECT_EQ(~0ULL, bitmap[10]);

	*(uint64_t *)(mem + 8) = ~0ULL;
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/*
 * The VMM changes its mapping of a page the guest wrote (mprotect here;
 * migration, swap and THP changes are alike): the EPT entry is zapped,
 * and the write must still be reported.
 */
TEST(write_reported_across_invalidation)
{
	uint64_t bitmap[LOG_WORDS];
	struct vcpu *vcpu;
	uint8_t *mem;
	struct vm *vm = log_vm(1, guest_write_page, &mem);

	vcpu = vm->vcpus[0];
	clear_all(vm);
	*(uint64_t *)(mem + 8) = 5;
	vcpu_args_set(vcpu, 2, 0ULL, 5ULL);
	vcpu_run_expect_sync(vcpu, 1);
	ASSERT_EQ(0, mprotect(mem + 5 * PAGE, PAGE, PROT_READ));
	ASSERT_EQ(0, mprotect(mem + 5 * PAGE, PAGE, PROT_READ | PROT_WRITE));
	get_log(vm, bitmap);
	EXPECT_TRUE(bit(bitmap, 5));
	EXPECT_EQ(1, count_bits(bitmap, LOG_WORDS));
	EXPECT_EQ(1, *(uint64_t *)(mem + 5 * PAGE));
	*(uint64_t *)(mem + 8) = ~0ULL;
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ----------------------------------------- the copy, round by round */

#define MIG_VCPUS	4
#define MIG_ROUNDS	6

static uint64_t mig_stop;
/* Passes each vCPU has finished: a round waits for new writes. */
static uint64_t mig_passes[MIG_VCPUS];

/*
 * vCPU @id of @nr rewrites its share of the pages over and over, in a
 * scattered order, a new value and a new offset each pass, until the host
 * says stop.
 */
static void guest_rewrite(uint64_t id, uint64_t nr)
{
	uint64_t pass, k, pg;

	for (pass = 1; !READ_ONCE(mig_stop); pass++) {
		for (k = id; k < LOG_PAGES; k += nr) {
			pg = (k * 389) % LOG_PAGES;
			WRITE_ONCE(*(uint64_t *)(LOG_GPA + pg * PAGE +
						 (pass % 512) * 8),
				   (pass << 16) | id);
		}
		WRITE_ONCE(mig_passes[id], pass);
	}
	GUEST_DONE();
}

static void *mig_vcpu_thread(void *arg)
{
	vcpu_run_expect_done(arg);
	return NULL;
}

/* Copy the pages @bitmap names from @mem to @copy; return how many. */
static unsigned int copy_dirty(const uint64_t *bitmap, const uint8_t *mem,
			       uint8_t *copy)
{
	unsigned int n = 0;
	uint64_t pg;

	for (pg = 0; pg < LOG_PAGES; pg++) {
		if (!bit(bitmap, pg))
			continue;
		memcpy(copy + pg * PAGE, mem + pg * PAGE, PAGE);
		n++;
	}
	return n;
}

/*
 * The passes the guest's vCPUs have finished.  A round waits until there
 * is a new one, so that it has writes to find however slowly the vCPU
 * threads get a host CPU (the test machine is an emulator, its CPUs
 * shared): up to 30 s, then 0.
 */
static uint64_t wait_passes(struct vm *vm, unsigned int nr, uint64_t since)
{
	uint64_t sum;
	unsigned int i, tries;

	for (tries = 0; tries < 3000; tries++) {
		for (sum = 0, i = 0; i < nr; i++)
			sum += READ_ONCE(guest_global(vm, mig_passes[i]));
		if (sum > since)
			return sum;
		usleep(10000);
	}
	return 0;
}

/*
 * What a live migration does: copy everything, then round after round
 * GET, CLEAR, copy what was dirty, while the guest keeps writing; then
 * stop the guest, and one last round.  The copy must equal the memory.
 */
static void run_copy_rounds(struct __test_metadata *_metadata,
			    unsigned int nr)
{
	uint64_t bitmap[LOG_WORDS];
	pthread_t threads[MIG_VCPUS];
	unsigned int i, round, copied = 0, bad = 0;
	uint8_t *mem, *copy = malloc(LOG_SIZE);
	struct vm *vm = log_vm(nr, guest_rewrite, &mem);
	uint64_t pg, passes = 0;

	ASSERT_NE(NULL, copy);
	for (i = 0; i < nr; i++) {
		vcpu_args_set(vm->vcpus[i], 2, (uint64_t)i, (uint64_t)nr);
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, mig_vcpu_thread,
					    vm->vcpus[i]));
	}
	for (round = 0; round < MIG_ROUNDS; round++) {
		usleep(20000);
		passes = wait_passes(vm, nr, passes);
		ASSERT_LT(0, passes) TH_LOG("round %u: the guest wrote nothing in 30 s",
					    round);
		get_log(vm, bitmap);
		clear_log(vm, bitmap);
		i = copy_dirty(bitmap, mem, copy);
		/* The first round copies everything: all dirty to start. */
		EXPECT_EQ(LOG_PAGES, round ? LOG_PAGES : i);
		copied += round ? i : 0;
	}
	guest_global(vm, mig_stop) = 1;
	for (i = 0; i < nr; i++)
		pthread_join(threads[i], NULL);
	get_log(vm, bitmap);
	clear_log(vm, bitmap);
	copied += copy_dirty(bitmap, mem, copy);
	for (pg = 0; pg < LOG_PAGES; pg++)
		if (memcmp(copy + pg * PAGE, mem + pg * PAGE, PAGE))
			bad++;
	EXPECT_EQ(0, bad);
	/* The guest wrote while the rounds ran: they had something to do. */
	EXPECT_LT(0, copied);
	TH_LOG("%u vCPUs: %u pages copied after the first round", nr, copied);
	free(copy);
	vm_free(vm);
}

TEST(no_page_missed_1_vcpu)
{
	run_copy_rounds(_metadata, 1);
}

TEST(no_page_missed_4_vcpus)
{
	run_copy_rounds(_metadata, MIG_VCPUS);
}

/* ------------------------------------------------------ large pages */

static void guest_touch_slot(void)
{
	uint64_t pg;

	for (;;) {
		for (pg = 0; pg < LOG_PAGES; pg++)
			WRITE_ONCE(*(uint64_t *)(LOG_GPA + pg * PAGE), pg);
		GUEST_SYNC(0);
	}
}

TEST(logging_splits_and_off_restores_large_pages)
{
	struct vm *vm = vm_create(1, 0, guest_touch_slot);
	uint8_t *mem = mmap_hugetlb(LOG_SIZE);
	struct vessel_counters c0, c1, c2, c3;
	struct vcpu *vcpu = vm->vcpus[0];
	struct vessel_caps caps;

	ASSERT_EQ(0, vessel_caps_read(&caps));
	ASSERT_TRUE(caps.flags & VESSEL_CAP_EPT_2M);
	/* What the host kernel can give is the machine's, not the module's. */
	if (!mem)
		SKIP(goto out, "no two 2 MiB hugetlb pages: %s", strerror(errno));
	memset(mem, 1, LOG_SIZE);
	ASSERT_EQ(0, set_region(vm, LOG_SLOT, 0, LOG_GPA, LOG_SIZE, mem));
	vcpu_run_expect_sync(vcpu, 0);
	counters(vm, &c0);
	/* Slot 0 may have 2 MiB leaves too: count this slot's by difference. */
	ASSERT_EQ(0, set_region(vm, LOG_SLOT, VESSEL_MEM_LOG_DIRTY, LOG_GPA,
				LOG_SIZE, mem));
	counters(vm, &c1);
	ASSERT_EQ(2, c0.ept_leaves_2m - c1.ept_leaves_2m)
		TH_LOG("2 MiB leaves with logging off %lu, on %lu",
		       (unsigned long)c0.ept_leaves_2m,
		       (unsigned long)c1.ept_leaves_2m);
	vcpu_run_expect_sync(vcpu, 0);
	counters(vm, &c2);
	/* Logging on: the guest's writes mapped 4 KiB pages only. */
	EXPECT_EQ(c1.ept_leaves_2m, c2.ept_leaves_2m);
	EXPECT_EQ(LOG_PAGES, c2.ept_leaves_4k - c1.ept_leaves_4k);

	ASSERT_EQ(0, set_region(vm, LOG_SLOT, 0, LOG_GPA, LOG_SIZE, mem));
	vcpu_run_expect_sync(vcpu, 0);
	counters(vm, &c3);
	/* Off: the 2 MiB leaves are back, the 4 KiB ones gone. */
	EXPECT_EQ(c0.ept_leaves_2m, c3.ept_leaves_2m);
	EXPECT_EQ(c1.ept_leaves_4k, c3.ept_leaves_4k);
out:
	vm_free(vm);
	if (mem)
		munmap(mem, LOG_SIZE);
	hugetlb_release();
}

/* ------------------------------------------- removed while logging */

static void guest_write_forever(void)
{
	uint64_t n;

	for (n = 0;; n++)
		WRITE_ONCE(*(uint64_t *)(LOG_GPA + (n % LOG_PAGES) * PAGE), n);
}

static void *run_once_thread(void *arg)
{
	struct vcpu *vcpu = arg;

	/* Returns with the MMIO exit of the write that found no slot. */
	return (void *)(intptr_t)__vcpu_run(vcpu);
}

TEST(slot_removed_while_logging)
{
	uint64_t bitmap[LOG_WORDS];
	struct vcpu *vcpu;
	pthread_t thread;
	uint8_t *mem;
	struct vm *vm = log_vm(1, guest_write_forever, &mem);
	void *ret;

	vcpu = vm->vcpus[0];
	clear_all(vm);
	ASSERT_EQ(0, pthread_create(&thread, NULL, run_once_thread, vcpu));
	usleep(50000);
	ASSERT_EQ(0, set_region(vm, LOG_SLOT, 0, LOG_GPA, 0, mem));
	pthread_join(thread, &ret);
	ASSERT_EQ(0, (intptr_t)ret);
	ASSERT_EQ(VESSEL_EXIT_MMIO, vcpu->run->exit_reason)
		TH_LOG("exit %s", vessel_exit_name(vcpu->run->exit_reason));
	EXPECT_LE(LOG_GPA, vcpu->run->mmio.gpa);
	EXPECT_GT(LOG_GPA + LOG_SIZE, vcpu->run->mmio.gpa);

	EXPECT_EQ(-1, dirty_ioctl(vm, VESSEL_GET_DIRTY_LOG, LOG_SLOT, 0,
				  LOG_PAGES, bitmap));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, dirty_ioctl(vm, VESSEL_CLEAR_DIRTY_LOG, LOG_SLOT, 0,
				  LOG_PAGES, bitmap));
	EXPECT_EQ(ENOENT, errno);

	/* Back, logging afresh: every page dirty, and the guest goes on. */
	ASSERT_EQ(0, set_region(vm, LOG_SLOT, VESSEL_MEM_LOG_DIRTY, LOG_GPA,
				LOG_SIZE, mem));
	get_log(vm, bitmap);
	EXPECT_EQ(LOG_PAGES, count_bits(bitmap, LOG_WORDS));
	vm_free(vm);
}

TEST_HARNESS_MAIN
