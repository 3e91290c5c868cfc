// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: dirty logging (VESSEL_MEM_LOG_DIRTY, VESSEL_GET_DIRTY_LOG,
 * VESSEL_CLEAR_DIRTY_LOG).  Described here by EPT write protection; with
 * the EPT's dirty flags (ept.c's dirty_log_mode) the CPU marks the leaves
 * instead, GET collects the marks and CLEAR clears them.
 *
 * A logging slot has a bitmap with a bit per page.  The guest's writes are
 * caught by the EPT: in a logging slot a page is mapped writable only while
 * its bit is set (ept.c sets the bit, under ept_lock, before it installs or
 * upgrades a writable leaf), and every leaf is 4 KiB, so a write to a clean
 * page is an EPT violation that marks it.  The kernel's own writes to guest
 * memory (vessel_mem_write() and friends, for emulated instructions and
 * paravirtual pages) mark the pages they wrote, after the write, so that
 * userspace never reads a bit, copies the page and misses the write.
 *
 * Userspace reads the bitmap (GET) and clears what it is about to copy
 * (CLEAR), as KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG with manual
 * protection do: CLEAR clears each bit, write-protects its page and, before
 * it returns, flushes the EPT translations on every CPU, so a write that
 * lands after CLEAR returns faults and sets the bit again, and a write that
 * landed before is in the memory userspace copies next.  So the order
 * GET, CLEAR, copy loses nothing.
 *
 * Logging starts with every bit set, as KVM's KVM_DIRTY_LOG_INITIALLY_SET:
 * the first round copies everything anyway, and turning logging on then
 * needs no write protection, only the zap of the slot's mappings that
 * splits its 2 MiB leaves (memory.c).
 *
 * The three ways and why the dirty flags by default: see
 * Documentation/design.rst, "Dirty logging".
 */
#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"

/* Words of the user's bitmap CLEAR handles per hold of ept_lock. */
#define DIRTY_CLEAR_CHUNK	64

/**
 * vessel_mem_mark_dirty() - mark the pages of [@gpa, @gpa + @len) dirty
 * @mem:	the VM's memory
 * @gpa:	guest-physical address
 * @len:	bytes written, not 0
 *
 * For writes the kernel made through the VMM's mappings; pages in no slot
 * or in a slot that does not log are ignored.  Any context.
 */
void vessel_mem_mark_dirty(struct vessel_mem *mem, u64 gpa, u64 len)
{
	const struct vessel_mem_slot *s;
	u64 end = gpa + len, hi, pg;

	rcu_read_lock();
	while (gpa < end) {
		s = vessel_mem_slot_find(rcu_dereference(mem->slots), gpa);
		if (!s)
			break;
		hi = min(end, s->gpa + s->size);
		if (s->dirty)
			for (pg = (gpa - s->gpa) >> PAGE_SHIFT;
			     pg <= (hi - 1 - s->gpa) >> PAGE_SHIFT; pg++)
				set_bit(pg, s->dirty);
		gpa = hi;
	}
	rcu_read_unlock();
}

/*
 * The logging slot @d names, with the range checked against it.  Under
 * slots_lock.  Return: the slot, or an ERR_PTR: -EINVAL (flags, reserved,
 * range, a slot that does not log), -ENOENT (no such slot).
 */
static const struct vessel_mem_slot *
dirty_slot(struct vessel_mem *mem, const struct vessel_dirty_log *d)
{
	const struct vessel_mem_slots *slots;
	const struct vessel_mem_slot *s;
	u64 pages, end;

	if (d->flags || memchr_inv(d->reserved, 0, sizeof(d->reserved)))
		return ERR_PTR(-EINVAL);
	if (d->slot >= VESSEL_MAX_MEM_SLOTS)
		return ERR_PTR(-EINVAL);
	slots = rcu_dereference_protected(mem->slots,
					  lockdep_is_held(&mem->slots_lock));
	s = &slots->slot[d->slot];
	if (!s->size)
		return ERR_PTR(-ENOENT);
	if (!s->dirty)
		return ERR_PTR(-EINVAL);
	pages = s->size >> PAGE_SHIFT;
	if (!d->num_pages || !IS_ALIGNED(d->first_page, 64) ||
	    check_add_overflow(d->first_page, d->num_pages, &end) ||
	    end > pages || (!IS_ALIGNED(d->num_pages, 64) && end != pages))
		return ERR_PTR(-EINVAL);
	return s;
}

static u64 __user *dirty_user_bitmap(const struct vessel_dirty_log *d)
{
	return u64_to_user_ptr(d->bitmap);
}

/**
 * vessel_mem_get_dirty_log() - VESSEL_GET_DIRTY_LOG: copy out a range of
 * a slot's dirty bitmap
 * @vm:	the VM
 * @d:	the argument, copied from userspace
 *
 * Return: 0, -EINVAL, -ENOENT (see dirty_slot()), -EFAULT.
 */
long vessel_mem_get_dirty_log(struct vessel_vm *vm,
			      const struct vessel_dirty_log *d)
{
	struct vessel_mem *mem = &vm->mem;
	const struct vessel_mem_slot *s;
	u64 words = DIV_ROUND_UP(d->num_pages, 64);
	long r = 0;

	BUILD_BUG_ON(BITS_PER_LONG != 64);
	mutex_lock(&mem->slots_lock);
	s = dirty_slot(mem, d);
	if (IS_ERR(s)) {
		r = PTR_ERR(s);
	} else if (mem->ad && !mem->pml) {
		spin_lock(&mem->ept_lock);
		vessel_ept_harvest_locked(vm, s,
			s->gpa + (d->first_page << PAGE_SHIFT),
			s->gpa + ((d->first_page + d->num_pages) << PAGE_SHIFT));
		spin_unlock(&mem->ept_lock);
	}
	/*
	 * Bits past the slot's last page are never set.  Bits that faults
	 * set meanwhile may or may not be seen: they stay set for the next
	 * GET either way.
	 */
	if (!r && copy_to_user(dirty_user_bitmap(d), s->dirty + d->first_page / 64,
			      words * sizeof(u64)))
		r = -EFAULT;
	mutex_unlock(&mem->slots_lock);
	return r;
}

/*
 * Clear the bits of @mask (@n words from page @first) and write-protect
 * the pages that were dirty.  Return: whether an EPT leaf changed.
 */
static bool dirty_clear_words(struct vessel_vm *vm,
			      const struct vessel_mem_slot *s, u64 first,
			      const u64 *mask, unsigned int n)
{
	struct vessel_mem *mem = &vm->mem;
	bool changed = false, was;
	unsigned int w, b;
	u64 pg, gpa;

	spin_lock(&mem->ept_lock);
	for (w = 0; w < n; w++) {
		for_each_set_bit(b, (const unsigned long *)&mask[w], 64) {
			pg = first + 64 * w + b;
			gpa = s->gpa + (pg << PAGE_SHIFT);
			was = test_and_clear_bit(pg, s->dirty);
			/* The flag may be set without the bit: not harvested. */
			if (mem->ad)
				changed |= vessel_ept_clear_dirty_locked(vm, gpa);
			else if (was)
				changed |= vessel_ept_write_protect_locked(vm, gpa);
		}
	}
	spin_unlock(&mem->ept_lock);
	return changed;
}

/**
 * vessel_mem_clear_dirty_log() - VESSEL_CLEAR_DIRTY_LOG: clear the bits
 * set in the user's bitmap and write-protect those pages again
 * @vm:	the VM
 * @d:	the argument, copied from userspace
 *
 * When this returns, a guest write to a cleared page sets its bit again.
 * The user's bitmap is checked (its last word's unused bits) before any
 * bit changes; a fault reading it part way leaves the words before it
 * cleared.
 *
 * Return: 0, -EINVAL, -ENOENT (see dirty_slot()), -EFAULT, -EIO (INVEPT
 * failed; the VM is dead).
 */
long vessel_mem_clear_dirty_log(struct vessel_vm *vm,
				const struct vessel_dirty_log *d)
{
	struct vessel_mem *mem = &vm->mem;
	const struct vessel_mem_slot *s;
	u64 words = DIV_ROUND_UP(d->num_pages, 64), w, last;
	u64 __user *ubits = dirty_user_bitmap(d);
	u64 mask[DIRTY_CLEAR_CHUNK];
	unsigned int n;
	bool changed = false;
	long r = 0;

	mutex_lock(&mem->slots_lock);
	s = dirty_slot(mem, d);
	if (IS_ERR(s)) {
		r = PTR_ERR(s);
		goto out;
	}
	/* Pages past the range are not userspace's to clear. */
	if (d->num_pages % 64) {
		if (get_user(last, ubits + words - 1)) {
			r = -EFAULT;
			goto out;
		}
		if (last >> (d->num_pages % 64)) {
			r = -EINVAL;
			goto out;
		}
	}
	for (w = 0; w < words; w += n) {
		n = min_t(u64, words - w, DIRTY_CLEAR_CHUNK);
		if (copy_from_user(mask, ubits + w, n * sizeof(u64))) {
			r = -EFAULT;
			break;
		}
		changed |= dirty_clear_words(vm, s, d->first_page + 64 * w,
					     mask, n);
		cond_resched();
	}
	/* Even after a fault: what was cleared must be protected. */
	if (changed)
		vessel_ept_flush(vm);
	if (READ_ONCE(vm->dead))
		r = -EIO;
out:
	mutex_unlock(&mem->slots_lock);
	return r;
}
