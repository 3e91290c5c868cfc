// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: the EPT of a VM, filled on EPT violations and kept in step with
 * the VMM's address space by an MMU notifier.
 *
 * Why MMU notifiers rather than pinning: guest memory is ordinary memory of
 * the VMM process, and it should stay that way.  Pinning every page for the
 * life of a slot (pin_user_pages with FOLL_LONGTERM) would turn guest RAM
 * into unmovable, unswappable memory, break compaction and THP collapse,
 * and leave the guest looking at the old page whenever the VMM's mapping
 * changes (munmap, mremap, mprotect, fork's COW, KSM, migration).  Instead,
 * like KVM, each EPT leaf holds one ordinary page reference (get_user_pages,
 * not a pin) from the fault that installed it until it is zapped, and the
 * MM tells us before it changes any mapping: invalidate_range_start() zaps
 * every leaf mapping the range, waits for INVEPT on every CPU, and only then
 * drops the references, so the page the MM is about to free, move or
 * replace is no longer reachable by the guest.  The next guest access
 * faults and looks the page up again.  release() zaps everything when the
 * mm goes away.
 *
 * A fault must not install a translation that an invalidation has already
 * zapped (it looked the page up just before the MM changed it).  As KVM does
 * with mmu_invalidate_seq and mmu_invalidate_in_progress, the fault reads
 * inval_seq before looking up the slot and the page, and installs only if,
 * under ept_lock, no invalidation covering the range is in progress and
 * inval_seq has not moved; otherwise it starts over.  Slot changes bump
 * inval_seq too, under the same lock as they publish the new slots.
 *
 * The tables: level 4 is the PML4 (the root, never freed before the VM),
 * level 2 holds 2 MiB leaves or tables, level 1 holds 4 KiB leaves.  They
 * are changed only under ept_lock, a spinlock because non-blockable
 * notifier callbacks (the OOM reaper) zap too; a fault allocates a missing
 * table before taking the lock and retries.
 *
 * Zapping a range happens in three steps under ept_lock:
 *  - unlink: a leaf loses its RWX bits (the CPU sees it not present) but
 *    keeps its address with EPT_STALE set; a table wholly inside the range,
 *    or left with nothing present, is unlinked from its parent;
 *  - INVEPT on every CPU (ept_flush());
 *  - release: the stale leaves drop their page references and are cleared.
 * The unlinked tables are unreachable after the flush, so they and the
 * pages they map are freed after ept_lock is dropped; a big zap (a slot
 * deletion, the mm exiting) thus holds the lock only for the few tables at
 * the edges of the range.
 */
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mmu_notifier.h>
#include <linux/pgtable.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/smp.h>
#include <asm/io.h>
#include <asm/mtrr.h>
#include <asm/tlbflush.h>
#include <asm/vmx.h>

#include "internal.h"
#include "vmx/vmx.h"

/*
 * How dirty logging sees the guest's writes, read when a VM is created:
 * 0 by write protection, 1 by the EPT's dirty flags, 2 by the dirty flags
 * and page-modification logging.  A mode the CPU lacks falls back to the
 * one below.  1 by measurement: Documentation/performance.rst, "Dirty
 * logging".
 */
static uint dirty_log_mode = 1;
module_param(dirty_log_mode, uint, 0644);
MODULE_PARM_DESC(dirty_log_mode,
		 "dirty logging: 0 write protection, 1 EPT dirty flags (default), 2 and PML");

#define EPT_LEVELS		4
#define EPT_LEVEL_4K		1
#define EPT_LEVEL_2M		2
#define EPT_ENTRIES		512
#define EPT_GPA_END		BIT_ULL(48)

/* Bits 51:12 of an entry: the physical address it points to or maps. */
#define EPT_PA_MASK		GENMASK_ULL(51, 12)
/* Bit 7 of a level-2 entry: maps a 2 MiB page (SDM 29.3.2, Table 29-4). */
#define EPT_LARGE		BIT_ULL(7)
/*
 * An ignored bit (62:52): a zapped leaf whose page reference is dropped
 * once INVEPT has completed.  Seen only under ept_lock.
 */
#define EPT_STALE		BIT_ULL(52)
/* Guest RAM: readable, executable, write-back ignoring the guest's PAT. */
#define EPT_LEAF_BITS		(VMX_EPT_READABLE_MASK |		\
				 VMX_EPT_EXECUTABLE_MASK |		\
				 VMX_EPT_IPAT_BIT |			\
				 ((u64)MTRR_TYPE_WRBACK << VMX_EPT_MT_EPTE_SHIFT))
/*
 * Bit 9 of a leaf, with accessed/dirty flags enabled in the EPTP: the CPU
 * wrote through it (SDM 29.3.5).  Set by the CPU with a locked operation at
 * any time, so a present leaf is changed only by ept_leaf_update().
 */
#define EPT_DIRTY		VMX_EPT_DIRTY_BIT
/* Tables leave the permission decision to the leaves. */
#define EPT_TABLE_BITS		VMX_EPT_RWX_MASK

/* ept_map_locked(): a table page must be allocated first. */
#define EPT_NEED_TABLE		1

/*
 * Change a present leaf atomically: the CPU may be setting its accessed
 * or dirty flag meanwhile, and a dirty flag lost is a write lost to dirty
 * logging.  Return: the old entry.
 */
static u64 ept_leaf_update(u64 *ep, u64 clear, u64 set)
{
	u64 old = READ_ONCE(*ep);

	while (!try_cmpxchg64(ep, &old, (old & ~clear) | set))
		;
	return old;
}

static unsigned int ept_shift(int level)
{
	return PAGE_SHIFT + 9 * (level - 1);
}

static u64 ept_span(int level)
{
	return BIT_ULL(ept_shift(level));
}

static unsigned int ept_index(u64 gpa, int level)
{
	return (gpa >> ept_shift(level)) & (EPT_ENTRIES - 1);
}

static bool ept_present(u64 e)
{
	return e & VMX_EPT_RWX_MASK;
}

/* Whether @e, present or stale, maps a page rather than a table. */
static bool ept_is_leaf(u64 e, int level)
{
	return level == EPT_LEVEL_4K || (e & EPT_LARGE);
}

static u64 *ept_table_va(u64 e)
{
	return phys_to_virt(e & EPT_PA_MASK);
}

static struct page *ept_table_alloc(void)
{
	return alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
}

static bool ept_table_empty(const u64 *table)
{
	unsigned int i;

	for (i = 0; i < EPT_ENTRIES; i++)
		if (ept_present(table[i]))
			return false;
	return true;
}

static struct vessel_mem_slots *ept_slots_locked(struct vessel_mem *mem)
{
	return rcu_dereference_protected(mem->slots,
					 lockdep_is_held(&mem->ept_lock));
}

/* ------------------------------------------------------------ zapping */

/**
 * struct ept_zap - one zap of EPT entries (see the top of this file)
 * @vm:		the VM
 * @start:	range start: guest-physical, or host-virtual with @by_hva
 * @end:	range end (exclusive)
 * @by_hva:	zap what every slot maps of the VMM's [@start, @end)
 * @blockable:	may sleep while freeing
 * @changed:	an entry changed: INVEPT is needed
 * @stale:	stale leaves may be left in live tables
 * @leak:	INVEPT failed: keep every page and table that the CPU might
 *		still reach through a stale translation
 * @detached:	unlinked tables (page->lru, level in page->private)
 */
struct ept_zap {
	struct vessel_vm *vm;
	u64 start;
	u64 end;
	bool by_hva;
	bool blockable;
	bool changed;
	bool stale;
	bool leak;
	struct list_head detached;
};

enum ept_zap_pass {
	EPT_ZAP_UNLINK,
	EPT_ZAP_RELEASE,
};

static void ept_zap_init(struct ept_zap *z, struct vessel_vm *vm,
			 bool blockable)
{
	*z = (struct ept_zap) { .vm = vm, .blockable = blockable };
	INIT_LIST_HEAD(&z->detached);
}

/*
 * Drop the leaf @e that mapped @gpa, once no CPU can reach it.  A write
 * the CPU flagged in it is passed to the dirty log first.
 */
static void ept_leaf_release(struct ept_zap *z, u64 e, int level, u64 gpa)
{
	struct vessel_mem *mem = &z->vm->mem;

	if (e & EPT_DIRTY)
		vessel_mem_mark_dirty(mem, gpa, ept_span(level));

	atomic_long_dec(level == EPT_LEVEL_2M ? &mem->leaves_2m :
						&mem->leaves_4k);
	/*
	 * The reference of a 2 MiB leaf was taken on one of its pages: any
	 * page of the folio drops it.
	 */
	if (!z->leak)
		put_page(pfn_to_page((e & EPT_PA_MASK) >> PAGE_SHIFT));
}

static void ept_table_detach(struct ept_zap *z, u64 *ep, int level, u64 lo)
{
	struct page *table = virt_to_page(ept_table_va(*ep));

	WRITE_ONCE(*ep, 0);
	set_page_private(table, level - 1);
	table->index = lo >> PAGE_SHIFT;
	list_add(&table->lru, &z->detached);
	z->changed = true;
}

static void ept_zap_walk(struct ept_zap *z, enum ept_zap_pass pass,
			 u64 *table, int level, u64 base, u64 start, u64 end);

/* Unlink pass on the entry @ep (at @level, mapping from @lo). */
static void ept_zap_unlink(struct ept_zap *z, u64 *ep, int level, u64 lo,
			   u64 start, u64 end)
{
	u64 e = *ep;

	if (!ept_present(e))
		return;
	/* Any overlap zaps a whole 2 MiB leaf. */
	if (ept_is_leaf(e, level)) {
		ept_leaf_update(ep, VMX_EPT_RWX_MASK, EPT_STALE);
		z->changed = true;
		z->stale = true;
		return;
	}
	if (start > lo || end < lo + ept_span(level)) {
		ept_zap_walk(z, EPT_ZAP_UNLINK, ept_table_va(e), level - 1, lo,
			     start, end);
		/* Keep a table that still maps something outside the range. */
		if (!ept_table_empty(ept_table_va(e)))
			return;
	}
	ept_table_detach(z, ep, level, lo);
}

/* Release pass: drop the references of the stale leaves left in place. */
static void ept_zap_release(struct ept_zap *z, u64 *ep, int level, u64 lo,
			    u64 start, u64 end)
{
	u64 e = *ep;

	if (e & EPT_STALE) {
		ept_leaf_release(z, e, level, lo);
		WRITE_ONCE(*ep, 0);
	} else if (ept_present(e) && !ept_is_leaf(e, level)) {
		ept_zap_walk(z, EPT_ZAP_RELEASE, ept_table_va(e), level - 1, lo,
			     start, end);
	}
}

/*
 * One pass over the entries of @table (at @level, mapping guest-physical
 * addresses from @base) that overlap [@start, @end).
 */
static void ept_zap_walk(struct ept_zap *z, enum ept_zap_pass pass,
			 u64 *table, int level, u64 base, u64 start, u64 end)
{
	unsigned int i;

	for (i = ept_index(max(start, base), level); i < EPT_ENTRIES; i++) {
		u64 lo = base + i * ept_span(level);

		if (lo >= end)
			break;
		if (pass == EPT_ZAP_UNLINK)
			ept_zap_unlink(z, &table[i], level, lo, start, end);
		else
			ept_zap_release(z, &table[i], level, lo, start, end);
	}
}

/* One pass over what @z covers: a guest-physical range or a host one. */
static void ept_zap_ranges(struct ept_zap *z, enum ept_zap_pass pass)
{
	struct vessel_mem *mem = &z->vm->mem;
	u64 *root = page_address(mem->ept_root);
	const struct vessel_mem_slots *slots;
	unsigned int i;

	if (!z->by_hva) {
		ept_zap_walk(z, pass, root, EPT_LEVELS, 0, z->start, z->end);
		return;
	}
	/* Several slots may map the same VMM memory: zap them all. */
	slots = ept_slots_locked(mem);
	for (i = 0; i < VESSEL_MAX_MEM_SLOTS; i++) {
		const struct vessel_mem_slot *s = &slots->slot[i];
		u64 lo = max_t(u64, z->start, s->hva);
		u64 hi = min_t(u64, z->end, s->hva + s->size);

		if (!s->size || lo >= hi)
			continue;
		ept_zap_walk(z, pass, root, EPT_LEVELS, 0,
			     s->gpa + (lo - s->hva), s->gpa + (hi - s->hva));
	}
}

struct ept_invept_arg {
	unsigned long type;
	u64 eptp;
	atomic_t failed;
};

static void ept_invept_cpu(void *data)
{
	struct ept_invept_arg *a = data;

	/*
	 * A CPU outside VMX operation runs no guest, and must INVEPT
	 * (globally) after its next VMXON anyway.  Skipping it keeps a CPU
	 * just coming online from faulting here, and lets a VM whose
	 * creation failed be torn down.
	 */
	if (!(cr4_read_shadow() & X86_CR4_VMXE))
		return;
	if (vessel_invept(a->type, a->eptp))
		atomic_set(&a->failed, 1);
}

/*
 * Invalidate the translations of @eptp on every CPU, done everywhere when
 * this returns.  The IPI also forces a VM exit (external-interrupt exiting)
 * on a CPU running a vCPU, so INVEPT runs there in root mode.  Called under
 * ept_lock too, which is never taken with interrupts disabled, so no CPU
 * can spin on it with the IPI blocked.  Return: 0 or -EIO.
 */
static int ept_invept_all(u64 eptp)
{
	struct ept_invept_arg a = {
		.type = vessel_vmx.ept_vpid & VMX_EPT_EXTENT_CONTEXT_BIT ?
			VMX_EPT_EXTENT_CONTEXT : VMX_EPT_EXTENT_GLOBAL,
		.eptp = eptp,
		.failed = ATOMIC_INIT(0),
	};

	on_each_cpu(ept_invept_cpu, &a, 1);
	return atomic_read(&a.failed) ? -EIO : 0;
}

static void ept_flush(struct ept_zap *z)
{
	if (!z->changed)
		return;
	if (WARN_ONCE(ept_invept_all(z->vm->mem.eptp),
		      "vessel: INVEPT failed\n"))
		z->leak = true;
}

/* Zap what @z covers, flush, release the stale leaves.  Under ept_lock. */
static void ept_zap_locked(struct ept_zap *z)
{
	lockdep_assert_held(&z->vm->mem.ept_lock);
	ept_zap_ranges(z, EPT_ZAP_UNLINK);
	ept_flush(z);
	if (z->stale)
		ept_zap_ranges(z, EPT_ZAP_RELEASE);
}

/* Free an unlinked table, the tables below it and their pages' references. */
static void ept_table_free(struct ept_zap *z, u64 *table, int level, u64 base)
{
	unsigned int i;

	for (i = 0; i < EPT_ENTRIES; i++) {
		u64 e = table[i];

		if (!(e & (VMX_EPT_RWX_MASK | EPT_STALE)))
			continue;
		if (ept_is_leaf(e, level))
			ept_leaf_release(z, e, level, base + i * ept_span(level));
		else
			ept_table_free(z, ept_table_va(e), level - 1,
				       base + i * ept_span(level));
	}
	if (!z->leak)
		free_page((unsigned long)table);
	if (z->blockable)
		cond_resched();
}

/* After ept_lock is dropped: free what the zap unlinked. */
static void ept_zap_finish(struct ept_zap *z)
{
	struct page *table, *next;
	int level;

	list_for_each_entry_safe(table, next, &z->detached, lru) {
		list_del(&table->lru);
		level = page_private(table);
		set_page_private(table, 0);
		ept_table_free(z, page_address(table), level,
			       (u64)table->index << PAGE_SHIFT);
		table->index = 0;
	}
	if (z->leak)
		vessel_vm_mark_dead(z->vm, "INVEPT failed");
}

/* Zap every mapping of guest-physical [@start, @end). */
static void ept_zap_gpa(struct vessel_vm *vm, u64 start, u64 end)
{
	struct ept_zap z;

	ept_zap_init(&z, vm, true);
	z.start = start;
	z.end = end;
	spin_lock(&vm->mem.ept_lock);
	ept_zap_locked(&z);
	spin_unlock(&vm->mem.ept_lock);
	ept_zap_finish(&z);
}

/**
 * vessel_ept_replace_slots() - publish new slots, zap what a slot mapped
 * @vm:		the VM
 * @slots:	the new slot table
 * @old:	the slot deleted or replaced, or NULL
 *
 * Called with slots_lock held.  Publishing, bumping inval_seq and zapping
 * happen under one hold of ept_lock, so a notifier callback sees either the
 * old slots (and zaps through them) or the new ones with @old already
 * zapped, and a fault that looked up @old cannot install after the zap.
 */
void vessel_ept_replace_slots(struct vessel_vm *vm,
			      struct vessel_mem_slots *slots,
			      const struct vessel_mem_slot *old)
{
	struct vessel_mem *mem = &vm->mem;
	struct ept_zap z;

	ept_zap_init(&z, vm, true);
	if (old) {
		z.start = old->gpa;
		z.end = old->gpa + old->size;
	}
	spin_lock(&mem->ept_lock);
	rcu_assign_pointer(mem->slots, slots);
	/* A fault that reads the new inval_seq also sees the new slots. */
	smp_wmb();
	WRITE_ONCE(mem->inval_seq, mem->inval_seq + 1);
	ept_zap_locked(&z);
	spin_unlock(&mem->ept_lock);
	ept_zap_finish(&z);
}

/* ----------------------------------------------------- MMU notifier */

static struct vessel_vm *ept_mn_vm(struct mmu_notifier *mn)
{
	return container_of(mn, struct vessel_vm, mem.mn);
}

static int ept_mn_invalidate_start(struct mmu_notifier *mn,
				   const struct mmu_notifier_range *range)
{
	struct vessel_vm *vm = ept_mn_vm(mn);
	struct vessel_mem *mem = &vm->mem;
	struct ept_zap z;

	ept_zap_init(&z, vm, mmu_notifier_range_blockable(range));
	z.by_hva = true;
	z.start = range->start;
	z.end = range->end;

	spin_lock(&mem->ept_lock);
	/* Until the matching end, faults in the range must not install. */
	if (!mem->inval_in_progress++) {
		mem->inval_start = range->start;
		mem->inval_end = range->end;
	} else {
		mem->inval_start = min(mem->inval_start, range->start);
		mem->inval_end = max(mem->inval_end, range->end);
	}
	ept_zap_locked(&z);
	spin_unlock(&mem->ept_lock);
	/* References are dropped before returning: migration counts them. */
	ept_zap_finish(&z);
	return 0;
}

static void ept_mn_invalidate_end(struct mmu_notifier *mn,
				  const struct mmu_notifier_range *range)
{
	struct vessel_mem *mem = &ept_mn_vm(mn)->mem;

	spin_lock(&mem->ept_lock);
	/* A fault that looked the page up before now starts over. */
	WRITE_ONCE(mem->inval_seq, mem->inval_seq + 1);
	/* The core pairs every start with an end after registration. */
	if (!WARN_ON_ONCE(!mem->inval_in_progress))
		mem->inval_in_progress--;
	spin_unlock(&mem->ept_lock);
}

/* The mm is going away (exit, or our unregister): drop everything. */
static void ept_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	ept_zap_gpa(ept_mn_vm(mn), 0, EPT_GPA_END);
}

static const struct mmu_notifier_ops ept_mn_ops = {
	.release		= ept_mn_release,
	.invalidate_range_start	= ept_mn_invalidate_start,
	.invalidate_range_end	= ept_mn_invalidate_end,
};

/* ------------------------------------------------------------ faults */

/**
 * struct ept_map - what a fault installs, found before ept_lock is taken
 * @gpa:	guest-physical page of the fault
 * @hva:	the VMM's address of that page
 * @page:	the page; its reference passes to the leaf (then NULL)
 * @seq:	inval_seq before the slot and the page were looked up
 * @level:	EPT_LEVEL_4K or EPT_LEVEL_2M
 * @writable:	@page was obtained for write (and, in a logging slot,
 *		the page is dirty)
 * @write:	the fault was a write
 * @dirty:	the slot's dirty bitmap when it logs, or NULL
 * @dirty_bit:	the page's bit in @dirty
 */
struct ept_map {
	u64 gpa;
	unsigned long hva;
	struct page *page;
	unsigned long seq;
	int level;
	bool writable;
	bool write;
	unsigned long *dirty;
	unsigned long dirty_bit;
};

/* The pfn the leaf for @m maps at @level (the first of 2 MiB, say). */
static unsigned long ept_map_pfn(const struct ept_map *m, int level)
{
	return page_to_pfn(m->page) -
	       ((m->gpa & (ept_span(level) - 1)) >> PAGE_SHIFT);
}

static bool ept_slot_get(struct vessel_mem *mem, u64 gpa,
			 struct vessel_mem_slot *slot)
{
	const struct vessel_mem_slot *s;

	rcu_read_lock();
	s = vessel_mem_slot_find(rcu_dereference(mem->slots), gpa);
	if (s)
		*slot = *s;
	rcu_read_unlock();
	return s;
}

/*
 * A reference on the page at @hva, as KVM takes it by default: for write
 * when the slot is writable, even on a read fault, so a COW page is broken
 * once rather than mapped read-only and then faulted again; read-only when
 * only that works and the fault was a read.
 */
static int ept_get_page(unsigned long hva, bool slot_writable, bool write,
			struct page **page, bool *writable)
{
	long n = -EFAULT;

	*writable = false;
	if (slot_writable) {
		n = get_user_pages_unlocked(hva, 1, page, FOLL_WRITE);
		*writable = n == 1;
	}
	if (n != 1 && !write)
		n = get_user_pages_unlocked(hva, 1, page, 0);
	if (n == 1)
		return 0;
	/* Out of memory or killed: say so; anything else is a bad mapping. */
	return n == -ENOMEM || n == -EINTR ? n : -EFAULT;
}

/*
 * Whether a 2 MiB leaf may map the fault at @gpa: the aligned 2 MiB lies in
 * the slot, whose hva and gpa are congruent modulo 2 MiB, and @page sits at
 * the matching offset of one huge folio holding the whole aligned 2 MiB.
 * How the VMM maps it is checked later, under ept_lock.
 */
static bool ept_huge_ok(const struct vessel_mem_slot *s, u64 gpa,
			struct page *page)
{
	u64 base = gpa & PMD_MASK;
	struct folio *folio = page_folio(page);
	unsigned long idx = page_to_pfn(page) - folio_pfn(folio);
	unsigned long off = (gpa & ~PMD_MASK) >> PAGE_SHIFT;

	if (!(vessel_vmx.flags & VESSEL_CAP_EPT_2M))
		return false;
	if (base < s->gpa || base + PMD_SIZE > s->gpa + s->size)
		return false;
	if ((s->gpa ^ s->hva) & ~PMD_MASK)
		return false;
	if (folio_size(folio) < PMD_SIZE || idx < off ||
	    idx - off + PTRS_PER_PMD > folio_nr_pages(folio))
		return false;
	return IS_ALIGNED(page_to_pfn(page) - off, PTRS_PER_PMD);
}

/*
 * Whether the VMM maps the 2 MiB around @m->hva with one leaf (a PMD, or a
 * PUD of hugetlb) onto the 2 MiB the EPT leaf would map.  A folio may stay
 * huge after the VMM's PMD was split (mprotect or munmap of part of it), and
 * then the VMM no longer sees all of it.  Read locklessly as KVM does: with
 * ept_lock held and inval_seq unchanged no invalidation touched the range
 * since the page was looked up, and disabled interrupts keep the page
 * tables from being freed meanwhile.
 */
static bool ept_host_huge(struct mm_struct *mm, const struct ept_map *m)
{
	unsigned long hva = m->hva & PMD_MASK;
	unsigned long host_pfn = 0, flags;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(mm, hva));
	if (!pgd_present(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (!p4d_present(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (!pud_present(pud))
		goto out;
	if (pud_leaf(pud)) {
		host_pfn = pud_pfn(pud) + ((hva & ~PUD_MASK) >> PAGE_SHIFT);
		goto out;
	}
	pmd = READ_ONCE(*pmd_offset(&pud, hva));
	if (pmd_present(pmd) && pmd_leaf(pmd))
		host_pfn = pmd_pfn(pmd);
out:
	local_irq_restore(flags);
	return host_pfn && host_pfn == ept_map_pfn(m, EPT_LEVEL_2M);
}

/* Whether an invalidation may have changed what @m was built from. */
static bool ept_map_outdated(struct vessel_mem *mem, const struct ept_map *m)
{
	unsigned long span = ept_span(m->level);
	unsigned long start = m->hva & ~(span - 1);

	if (mem->inval_in_progress && start < mem->inval_end &&
	    start + span > mem->inval_start)
		return true;
	return mem->inval_seq != m->seq;
}

/*
 * The entry for @gpa at *@level, linking *@spare where a table is missing.
 * Stops early at a larger leaf and reports its level.  NULL: another table
 * page is needed.
 */
static u64 *ept_walk(struct vessel_mem *mem, u64 gpa, int *level,
		     struct page **spare)
{
	u64 *table = page_address(mem->ept_root);
	int l;

	for (l = EPT_LEVELS; l > *level; l--) {
		u64 *ep = &table[ept_index(gpa, l)];

		if (!ept_present(*ep)) {
			if (!*spare)
				return NULL;
			/* Zeroed when allocated; x86 keeps the stores in order. */
			WRITE_ONCE(*ep, page_to_phys(*spare) | EPT_TABLE_BITS);
			*spare = NULL;
		} else if (ept_is_leaf(*ep, l)) {
			*level = l;
			return ep;
		}
		table = ept_table_va(*ep);
	}
	return &table[ept_index(gpa, *level)];
}

static void ept_install(struct vessel_mem *mem, u64 *ep, struct ept_map *m)
{
	u64 e = PFN_PHYS(ept_map_pfn(m, m->level)) | EPT_LEAF_BITS;

	if (m->writable)
		e |= VMX_EPT_WRITABLE_MASK;
	if (m->level == EPT_LEVEL_2M) {
		e |= EPT_LARGE;
		atomic_long_inc(&mem->leaves_2m);
	} else {
		atomic_long_inc(&mem->leaves_4k);
	}
	WRITE_ONCE(*ep, e);
	m->page = NULL;
}

/*
 * *@ep is already where @m's leaf goes: another vCPU may have got there
 * first, which is fine if it allows the access.  A read-only leaf of the
 * same page on a write that may write (dirty logging's write protection)
 * just becomes writable: relaxing a permission needs no INVEPT, a stale
 * read-only translation only faults once more.  Otherwise (a table where
 * a 2 MiB leaf goes, a 2 MiB leaf in a logging slot, a read-only leaf of
 * another page) zap it and start over.
 */
static int ept_map_conflict(struct ept_zap *z, u64 *ep, int level,
			    const struct ept_map *m)
{
	u64 e = *ep;

	if (ept_is_leaf(e, level) && !(m->dirty && level != EPT_LEVEL_4K)) {
		if (!m->write || (e & VMX_EPT_WRITABLE_MASK))
			return 0;
		if (m->writable && level == m->level &&
		    (e & EPT_PA_MASK) == PFN_PHYS(ept_map_pfn(m, level))) {
			ept_leaf_update(ep, 0, VMX_EPT_WRITABLE_MASK);
			return 0;
		}
	}
	z->start = m->gpa & ~(ept_span(level) - 1);
	z->end = z->start + ept_span(level);
	ept_zap_locked(z);
	return -EAGAIN;
}

static int ept_map_locked(struct vessel_vm *vm, struct ept_map *m,
			  struct page **spare, struct ept_zap *z)
{
	struct vessel_mem *mem = &vm->mem;
	int level;
	u64 *ep;

	if (ept_map_outdated(mem, m))
		return -EAGAIN;
	/*
	 * The slot still logs (inval_seq unchanged), so @m->dirty is live.
	 * The bit is set before the leaf becomes writable: see dirty.c.
	 */
	if (!m->dirty || mem->ad) {
		/* The CPU flags the writes in the leaf: ept_harvest_walk(). */
	} else if (m->write) {
		if (!test_and_set_bit(m->dirty_bit, m->dirty))
			atomic_long_inc(&mem->dirty_faults);
	} else if (!test_bit(m->dirty_bit, m->dirty)) {
		m->writable = false;
	}
	if (m->level == EPT_LEVEL_2M && !ept_host_huge(vm->mm, m))
		m->level = EPT_LEVEL_4K;
	level = m->level;
	ep = ept_walk(mem, m->gpa, &level, spare);
	if (!ep)
		return EPT_NEED_TABLE;
	if (ept_present(*ep))
		return ept_map_conflict(z, ep, level, m);
	ept_install(mem, ep, m);
	return 0;
}

/* Install @m, allocating tables outside ept_lock as needed. */
static int ept_map(struct vessel_vm *vm, struct ept_map *m)
{
	struct vessel_mem *mem = &vm->mem;
	struct page *spare = NULL;
	struct ept_zap z;
	int r;

	for (;;) {
		ept_zap_init(&z, vm, true);
		spin_lock(&mem->ept_lock);
		r = ept_map_locked(vm, m, &spare, &z);
		spin_unlock(&mem->ept_lock);
		ept_zap_finish(&z);
		if (r != EPT_NEED_TABLE)
			break;
		spare = ept_table_alloc();
		if (!spare) {
			r = -ENOMEM;
			break;
		}
	}
	if (spare)
		__free_page(spare);
	return r;
}

static int ept_fault_once(struct vessel_vm *vm, u64 gpa, bool write)
{
	struct vessel_mem *mem = &vm->mem;
	struct ept_map m = { .gpa = gpa & PAGE_MASK, .write = write };
	struct vessel_mem_slot slot;
	bool slot_writable;
	int r;

	m.seq = READ_ONCE(mem->inval_seq);
	/* Pairs with the smp_wmb() of vessel_ept_replace_slots(). */
	smp_rmb();
	if (!ept_slot_get(mem, m.gpa, &slot))
		return VESSEL_MEM_MMIO;
	slot_writable = !(slot.flags & VESSEL_MEM_READONLY);
	if (write && !slot_writable)
		return VESSEL_MEM_MMIO;

	m.hva = slot.hva + (m.gpa - slot.gpa);
	r = ept_get_page(m.hva, slot_writable, write, &m.page, &m.writable);
	if (r)
		return r;
	if (slot.dirty) {
		/* Logging tracks 4 KiB pages: no 2 MiB leaf while it is on. */
		m.dirty = slot.dirty;
		m.dirty_bit = (m.gpa - slot.gpa) >> PAGE_SHIFT;
		m.level = EPT_LEVEL_4K;
	} else {
		m.level = ept_huge_ok(&slot, m.gpa, m.page) ? EPT_LEVEL_2M :
							      EPT_LEVEL_4K;
	}
	r = ept_map(vm, &m);
	if (m.page)
		put_page(m.page);
	return r;
}

/**
 * vessel_mem_fault() - handle an EPT violation
 * @vm:		the VM, from a thread of its VMM process
 * @gpa:	the guest-physical address
 * @write:	the access was a write
 * @exec:	the access was an instruction fetch (RAM is always executable)
 *
 * May sleep.
 *
 * Return: 0 when the guest can retry the access (a mapping exists, or a
 * signal is pending and the run loop should see it first),
 * VESSEL_MEM_MMIO when userspace must emulate it (no slot, or a write to a
 * read-only slot), -EFAULT when the VMM's memory there cannot be used for
 * the access, -ENOMEM or -EINTR.
 */
int vessel_mem_fault(struct vessel_vm *vm, u64 gpa, bool write, bool exec)
{
	int r;

	/* get_user_pages works on current->mm. */
	if (current->mm != vm->mm)
		return -EFAULT;
	while ((r = ept_fault_once(vm, gpa, write)) == -EAGAIN) {
		/* Raced with an invalidation or a slot change. */
		if (signal_pending(current))
			return 0;
		cond_resched();
	}
	return r;
}

/* ---------------------------------------------------- dirty logging */

/**
 * vessel_ept_write_protect_locked() - make the leaf mapping @gpa read-only
 * @vm:		the VM, with ept_lock held
 * @gpa:	a guest-physical page
 *
 * For dirty logging (dirty.c), whose caller flushes with vessel_ept_flush()
 * after dropping ept_lock.  A 2 MiB leaf (none should exist in a logging
 * slot) loses its write permission whole; the next write splits it.
 *
 * Return: whether the leaf changed, so that a flush is needed.
 */
bool vessel_ept_write_protect_locked(struct vessel_vm *vm, u64 gpa)
{
	struct page *none = NULL;
	int level = EPT_LEVEL_4K;
	u64 *ep;

	lockdep_assert_held(&vm->mem.ept_lock);
	ep = ept_walk(&vm->mem, gpa, &level, &none);
	if (!ep || !ept_present(*ep) || !(*ep & VMX_EPT_WRITABLE_MASK))
		return false;
	ept_leaf_update(ep, VMX_EPT_WRITABLE_MASK, 0);
	return true;
}

/**
 * vessel_ept_clear_dirty_locked() - clear the dirty flag of the leaf
 * mapping @gpa
 * @vm:		the VM, with ept_lock held
 * @gpa:	a guest-physical page
 *
 * The CPU sets the flag again on the next write only once the cached
 * translation is gone: the caller flushes with vessel_ept_flush().
 *
 * Return: whether the flag was set.
 */
bool vessel_ept_clear_dirty_locked(struct vessel_vm *vm, u64 gpa)
{
	struct page *none = NULL;
	int level = EPT_LEVEL_4K;
	u64 *ep;

	lockdep_assert_held(&vm->mem.ept_lock);
	ep = ept_walk(&vm->mem, gpa, &level, &none);
	if (!ep || !ept_present(*ep) || !(READ_ONCE(*ep) & EPT_DIRTY))
		return false;
	return ept_leaf_update(ep, EPT_DIRTY, 0) & EPT_DIRTY;
}

/* The leaves of @table (mapping from @base) with their dirty flag set. */
static void ept_harvest_walk(u64 *table, int level, u64 base,
			     const struct vessel_mem_slot *s, u64 start,
			     u64 end)
{
	unsigned int i;
	u64 lo, pg, hi;

	for (i = ept_index(max(start, base), level); i < EPT_ENTRIES; i++) {
		u64 e = READ_ONCE(table[i]);

		lo = base + i * ept_span(level);
		if (lo >= end)
			break;
		if (!ept_present(e))
			continue;
		if (!ept_is_leaf(e, level)) {
			ept_harvest_walk(ept_table_va(e), level - 1, lo, s,
					 start, end);
			continue;
		}
		if (!(e & EPT_DIRTY))
			continue;
		hi = min(end, lo + ept_span(level));
		for (pg = max(start, lo); pg < hi; pg += PAGE_SIZE)
			set_bit((pg - s->gpa) >> PAGE_SHIFT, s->dirty);
	}
}

/**
 * vessel_ept_harvest_locked() - add the writes the CPU flagged in the EPT
 * to the dirty bitmap of @s
 * @vm:		the VM, with ept_lock held
 * @s:		a logging slot
 * @start:	guest-physical range start, in @s
 * @end:	range end (exclusive)
 *
 * The flags stay set until vessel_ept_clear_dirty_locked().
 */
void vessel_ept_harvest_locked(struct vessel_vm *vm,
			       const struct vessel_mem_slot *s, u64 start,
			       u64 end)
{
	lockdep_assert_held(&vm->mem.ept_lock);
	ept_harvest_walk(page_address(vm->mem.ept_root), EPT_LEVELS, 0, s,
			 start, end);
}

/**
 * vessel_ept_flush() - drop the VM's EPT translations on every CPU
 * @vm:	the VM
 *
 * When this returns, no CPU uses a translation older than the call.  A
 * failed INVEPT marks the VM dead.  Interrupts enabled (it IPIs every CPU).
 */
void vessel_ept_flush(struct vessel_vm *vm)
{
	if (WARN_ONCE(ept_invept_all(vm->mem.eptp), "vessel: INVEPT failed\n"))
		vessel_vm_mark_dead(vm, "INVEPT failed");
}

/* ------------------------------------------------------ VM lifetime */

int vessel_ept_init(struct vessel_vm *vm)
{
	struct vessel_mem *mem = &vm->mem;
	unsigned int mode;
	int r;

	spin_lock_init(&mem->ept_lock);
	atomic_long_set(&mem->leaves_4k, 0);
	atomic_long_set(&mem->leaves_2m, 0);
	atomic_long_set(&mem->dirty_faults, 0);
	mem->ept_root = ept_table_alloc();
	if (!mem->ept_root)
		return -ENOMEM;
	/*
	 * Write-back paging structures, 4-level walk; accessed and dirty
	 * flags only for dirty logging by them.
	 */
	mem->eptp = page_to_phys(mem->ept_root) | VMX_EPTP_MT_WB |
		    VMX_EPTP_PWL_4;
	mode = READ_ONCE(dirty_log_mode);
	mem->ad = mode >= 1 && (vessel_vmx.flags & VESSEL_CAP_EPT_AD);
	mem->pml = mem->ad && mode >= 2 && (vessel_vmx.flags & VESSEL_CAP_PML);
	if (mem->ad)
		mem->eptp |= VMX_EPTP_AD_ENABLE_BIT;
	/*
	 * The root page may have been an EPT root before (of a VM of ours or
	 * of KVM, which flushes when it loads a root, not when it frees
	 * one): drop whatever the CPUs still cache for this EPTP.
	 */
	r = ept_invept_all(mem->eptp);
	if (WARN_ONCE(r, "vessel: INVEPT failed\n"))
		goto err_free_root;

	mem->mn.ops = &ept_mn_ops;
	r = mmu_notifier_register(&mem->mn, vm->mm);
	if (r)
		goto err_free_root;
	return 0;

err_free_root:
	__free_page(mem->ept_root);
	return r;
}

void vessel_ept_destroy(struct vessel_vm *vm)
{
	struct vessel_mem *mem = &vm->mem;

	/*
	 * Calls release(), which zaps everything, unless the mm's exit has
	 * already done so; no callback runs once this returns.
	 */
	mmu_notifier_unregister(&mem->mn, vm->mm);
	/* A dead VM may have failed INVEPT: the CPU might still walk it. */
	if (!READ_ONCE(vm->dead))
		__free_page(mem->ept_root);
}

/**
 * vessel_mem_eptp() - the EPT pointer for the VMCS of @vm's vCPUs
 * @vm:		the VM
 *
 * Return: the EPTP.
 */
u64 vessel_mem_eptp(struct vessel_vm *vm)
{
	return vm->mem.eptp;
}
