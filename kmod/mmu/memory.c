// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: guest memory slots (VESSEL_SET_MEMORY_REGION) and copies to and
 * from guest-physical memory.
 *
 * A slot maps a guest-physical range onto memory of the VMM process, which
 * stays ordinary pageable memory of that process: the EPT that maps it is
 * kept in step by ept.c.  The slot table is copied and republished on every
 * change so that the EPT fault path can read it under RCU.
 */
#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/futex.h>
#include <asm/processor.h>

#include "internal.h"

/* A 4-level EPT translates 48 guest-physical address bits. */
#define MEM_EPT_GPA_BITS	48

static size_t mem_slots_bytes(void)
{
	struct vessel_mem_slots *slots = NULL;

	return struct_size(slots, slot, VESSEL_MAX_MEM_SLOTS);
}

/**
 * vessel_mem_slot_find() - the slot holding a guest-physical address
 * @slots:	the slot table (under RCU or one of the locks of vessel_mem)
 * @gpa:	guest-physical address
 *
 * Return: the slot, or NULL when @gpa lies in none.
 */
const struct vessel_mem_slot *
vessel_mem_slot_find(const struct vessel_mem_slots *slots, u64 gpa)
{
	unsigned int i, used = min_t(unsigned int, slots->used,
				     VESSEL_MAX_MEM_SLOTS);

	for (i = 0; i < used; i++) {
		const struct vessel_mem_slot *s = &slots->slot[i];

		if (s->size && gpa >= s->gpa && gpa - s->gpa < s->size)
			return s;
	}
	return NULL;
}

int vessel_mem_init(struct vessel_vm *vm)
{
	struct vessel_mem *mem = &vm->mem;
	struct vessel_mem_slots *slots;
	int r;

	mutex_init(&mem->slots_lock);
	slots = kzalloc(mem_slots_bytes(), GFP_KERNEL_ACCOUNT);
	if (!slots)
		return -ENOMEM;
	RCU_INIT_POINTER(mem->slots, slots);

	r = vessel_ept_init(vm);
	if (r)
		goto err_free_slots;
	return 0;

err_free_slots:
	kfree(slots);
	return r;
}

void vessel_mem_destroy(struct vessel_vm *vm)
{
	struct vessel_mem_slots *slots;
	unsigned int i;

	/* The notifier is gone after this: nobody else reads the slots. */
	vessel_ept_destroy(vm);
	slots = rcu_dereference_protected(vm->mem.slots, true);
	for (i = 0; i < VESSEL_MAX_MEM_SLOTS; i++)
		kvfree(slots->slot[i].dirty);
	kfree(slots);
}

/*
 * A dirty bitmap for a slot of @size bytes with every page set: logging
 * starts with every page dirty, so that the first copy takes them all.
 */
static unsigned long *mem_dirty_alloc(u64 size)
{
	unsigned long pages = size >> PAGE_SHIFT;
	unsigned long *dirty;

	dirty = kvmalloc_array(BITS_TO_LONGS(pages), sizeof(long),
			       GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (dirty)
		bitmap_set(dirty, 0, pages);
	return dirty;
}

/* Checks that need no state: flags, reserved, alignment, ranges. */
static int mem_check_region(const struct vessel_memory_region *r)
{
	unsigned int pa_bits = min_t(unsigned int, MEM_EPT_GPA_BITS,
				     boot_cpu_data.x86_phys_bits);
	u64 gpa_end, hva_end;

	if (r->flags & ~(VESSEL_MEM_READONLY | VESSEL_MEM_LOG_DIRTY))
		return -EINVAL;
	/* The guest cannot write a read-only slot: nothing to log. */
	if ((r->flags & VESSEL_MEM_READONLY) &&
	    (r->flags & VESSEL_MEM_LOG_DIRTY))
		return -EINVAL;
	if (memchr_inv(r->reserved, 0, sizeof(r->reserved)))
		return -EINVAL;
	if (r->slot >= VESSEL_MAX_MEM_SLOTS)
		return -EINVAL;
	if (!PAGE_ALIGNED(r->guest_phys_addr) || !PAGE_ALIGNED(r->size) ||
	    !PAGE_ALIGNED(r->userspace_addr))
		return -EINVAL;
	if (check_add_overflow(r->guest_phys_addr, r->size, &gpa_end) ||
	    check_add_overflow(r->userspace_addr, r->size, &hva_end))
		return -EINVAL;
	/* Guest-physical addresses the EPT and the host can both express. */
	if (gpa_end > BIT_ULL(pa_bits))
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(r->userspace_addr), r->size))
		return -EINVAL;
	return 0;
}

/* Whether @r fits beside the other slots of @slots (all but its own). */
static int mem_check_fit(const struct vessel_mem_slots *slots,
			 const struct vessel_memory_region *r)
{
	u64 total = r->size;
	unsigned int i;

	for (i = 0; i < VESSEL_MAX_MEM_SLOTS; i++) {
		const struct vessel_mem_slot *s = &slots->slot[i];

		if (i == r->slot || !s->size)
			continue;
		if (r->guest_phys_addr < s->gpa + s->size &&
		    s->gpa < r->guest_phys_addr + r->size)
			return -EEXIST;
		total += s->size;
	}
	return total > VESSEL_MAX_MEM_BYTES ? -EINVAL : 0;
}

/*
 * Publish a copy of @cur with slot @r->slot set from @r (or cleared when its
 * size is 0).  The old slot's EPT mappings are gone when this returns.
 * That is also how dirty logging turned on splits the slot's 2 MiB leaves
 * (the faults that map it again take 4 KiB) and how logging turned off
 * lets them come back.
 */
static int mem_replace_slot(struct vessel_vm *vm,
			    struct vessel_mem_slots *cur,
			    const struct vessel_memory_region *r)
{
	const struct vessel_mem_slot *old = &cur->slot[r->slot];
	unsigned long *old_dirty = old->dirty, *dirty = NULL;
	struct vessel_mem_slots *new;
	struct vessel_mem_slot *s;

	if (r->size && (r->flags & VESSEL_MEM_LOG_DIRTY)) {
		dirty = mem_dirty_alloc(r->size);
		if (!dirty)
			return -ENOMEM;
	}
	new = kmemdup(cur, mem_slots_bytes(), GFP_KERNEL_ACCOUNT);
	if (!new) {
		kvfree(dirty);
		return -ENOMEM;
	}
	s = &new->slot[r->slot];
	memset(s, 0, sizeof(*s));
	if (r->size) {
		s->gpa = r->guest_phys_addr;
		s->size = r->size;
		s->hva = r->userspace_addr;
		s->flags = r->flags;
		s->dirty = dirty;
	}
	/* Lookups (every fault, every guest memory copy) stop here. */
	while (new->used && !new->slot[new->used - 1].size)
		new->used--;
	if (r->size && r->slot >= new->used)
		new->used = r->slot + 1;
	vessel_ept_replace_slots(vm, new, old->size ? old : NULL);
	/* Faults may still be reading @cur without a lock. */
	kfree_rcu(cur, rcu);
	if (old_dirty) {
		/* And kernel writes marking pages dirty in the old bitmap. */
		synchronize_rcu();
		kvfree(old_dirty);
	}
	return 0;
}

/**
 * vessel_mem_set_region() - VESSEL_SET_MEMORY_REGION: add, change or
 * delete (size 0) a slot
 * @vm:	the VM, from its VMM process
 * @r:	the region, copied from userspace
 *
 * Changing a slot deletes it and adds the new one; either way the old
 * range's EPT mappings are zapped and flushed before this returns.
 *
 * Return: 0, -EINVAL (bad argument, wrong process, over the byte limit),
 * -ENOENT (delete an unused slot), -EEXIST (overlap) or -ENOMEM.
 */
long vessel_mem_set_region(struct vessel_vm *vm,
			   const struct vessel_memory_region *r)
{
	struct vessel_mem *mem = &vm->mem;
	struct vessel_mem_slots *cur;
	int ret;

	/* The addresses mean something only in the VMM's address space. */
	if (current->mm != vm->mm)
		return -EINVAL;
	ret = mem_check_region(r);
	if (ret)
		return ret;

	mutex_lock(&mem->slots_lock);
	cur = rcu_dereference_protected(mem->slots,
					lockdep_is_held(&mem->slots_lock));
	if (!r->size)
		ret = cur->slot[r->slot].size ? 0 : -ENOENT;
	else
		ret = mem_check_fit(cur, r);
	if (!ret)
		ret = mem_replace_slot(vm, cur, r);
	mutex_unlock(&mem->slots_lock);
	return ret;
}

/*
 * The part of [@gpa, @gpa + @len) that lies in one slot: its user address
 * and length.
 */
static int mem_chunk(struct vessel_mem *mem, u64 gpa, size_t len, bool write,
		     void __user **uaddr, size_t *n)
{
	const struct vessel_mem_slot *s;
	int r = 0;

	rcu_read_lock();
	s = vessel_mem_slot_find(rcu_dereference(mem->slots), gpa);
	if (!s) {
		r = -ENOENT;
	} else if (write && (s->flags & VESSEL_MEM_READONLY)) {
		r = -EPERM;
	} else {
		*uaddr = u64_to_user_ptr(s->hva + (gpa - s->gpa));
		*n = min_t(u64, len, s->gpa + s->size - gpa);
	}
	rcu_read_unlock();
	return r;
}

/*
 * One naturally sized element (a flag byte, a version word, a pointer)
 * with get_user()/put_user(): copy_to_user() of a variable size would
 * check the kernel object against the stack frames first (hardened
 * usercopy), several times the cost of the copy.  1: not such a size.
 */
static int mem_copy_small(void __user *uaddr, void *dst, const void *src,
			  size_t n)
{
	u64 v = 0;
	int r;

	if (n != 1 && n != 2 && n != 4 && n != 8)
		return 1;
	if (src) {
		memcpy(&v, src, n);
		switch (n) {
		case 1:
			return put_user((u8)v, (u8 __user *)uaddr);
		case 2:
			return put_user((u16)v, (u16 __user *)uaddr);
		case 4:
			return put_user((u32)v, (u32 __user *)uaddr);
		default:
			return put_user(v, (u64 __user *)uaddr);
		}
	}
	switch (n) {
	case 1: {
		u8 b;

		r = get_user(b, (u8 __user *)uaddr);
		v = b;
		break;
	}
	case 2: {
		u16 w;

		r = get_user(w, (u16 __user *)uaddr);
		v = w;
		break;
	}
	case 4: {
		u32 d;

		r = get_user(d, (u32 __user *)uaddr);
		v = d;
		break;
	}
	default:
		r = get_user(v, (u64 __user *)uaddr);
		break;
	}
	if (!r)
		memcpy(dst, &v, n);
	return r;
}

/*
 * Copy between guest-physical memory and @dst (read) or @src (write),
 * through the VMM's mappings of the slots, so the MM sees ordinary user
 * accesses (faults, COW, dirty tracking).  The first pass checks the whole
 * range, so an error leaves guest memory untouched unless the VMM changes
 * the slots meanwhile.
 */
static int mem_copy(struct vessel_vm *vm, u64 gpa, void *dst,
		    const void *src, size_t len)
{
	bool write = src;
	unsigned long uncopied;
	void __user *uaddr;
	int pass, r;
	size_t n;

	if (current->mm != vm->mm)
		return -EFAULT;
	if (!len)
		return 0;
	/* In one slot (nearly always): nothing to check beforehand. */
	r = mem_chunk(&vm->mem, gpa, len, write, &uaddr, &n);
	if (r)
		return r;
	if (n == len) {
		uncopied = 0;
		r = mem_copy_small(uaddr, dst, src, n);
		if (r > 0) {
			uncopied = write ? copy_to_user(uaddr, src, n) :
					   copy_from_user(dst, uaddr, n);
			r = uncopied ? -EFAULT : 0;
		}
		/* Marked after the write, what was written: see dirty.c. */
		if (write && uncopied < n && (!r || uncopied))
			vessel_mem_mark_dirty(&vm->mem, gpa, n - uncopied);
		return r;
	}
	for (pass = 0; pass < 2; pass++) {
		u64 a = gpa;
		size_t left = len, done = 0;

		while (left) {
			r = mem_chunk(&vm->mem, a, left, write, &uaddr, &n);
			if (r)
				return r;
			if (pass) {
				uncopied = write ?
					copy_to_user(uaddr, src + done, n) :
					copy_from_user(dst + done, uaddr, n);
				/* Marked after the write: see dirty.c. */
				if (write && uncopied < n)
					vessel_mem_mark_dirty(&vm->mem, a,
							      n - uncopied);
				if (uncopied)
					return -EFAULT;
			}
			a += n;
			done += n;
			left -= n;
		}
	}
	return 0;
}

/**
 * vessel_mem_test_and_set_bit() - atomically set a bit of guest memory
 * @vm:		the VM
 * @gpa:	a 4-byte aligned guest-physical address
 * @nr:	the bit, 0-31, of the little-endian dword there
 *
 * As a guest's LOCK BTS would, so the guest may clear other bits of the
 * dword concurrently (Hyper-V event flags).  Called by the VMM's threads.
 *
 * Return: 0 the bit was clear, 1 it was set, -EINVAL unaligned, -ENOENT,
 * -EPERM, -EFAULT as vessel_mem_write(), -EAGAIN when the guest kept
 * changing the dword.
 */
int vessel_mem_test_and_set_bit(struct vessel_vm *vm, u64 gpa, unsigned int nr)
{
	void __user *uaddr;
	unsigned int tries;
	u32 old, cur;
	size_t n;
	int r;

	if ((gpa & 3) || nr > 31)
		return -EINVAL;
	if (current->mm != vm->mm)
		return -EFAULT;
	r = mem_chunk(&vm->mem, gpa, 4, true, &uaddr, &n);
	if (r)
		return r;
	for (tries = 0; tries < 64; tries++) {
		if (get_user(old, (u32 __user *)uaddr))
			return -EFAULT;
		if (old & BIT(nr))
			return 1;
		pagefault_disable();
		r = futex_atomic_cmpxchg_inatomic(&cur, uaddr, old, old | BIT(nr));
		pagefault_enable();
		if (r == -EFAULT && fault_in_writeable((char __user *)uaddr, 4))
			return -EFAULT;
		if (!r && cur == old) {
			vessel_mem_mark_dirty(&vm->mem, gpa, 4);
			return 0;
		}
	}
	return -EAGAIN;
}

/**
 * vessel_mem_read() - copy guest-physical memory to a kernel buffer
 * @vm:		the VM
 * @gpa:	the first guest-physical address
 * @buf:	the kernel buffer
 * @len:	how many bytes
 *
 * Called by the VMM's own threads.
 *
 * Return: 0, -ENOENT when a byte lies in no slot, -EFAULT when the VMM's
 * memory cannot be read.
 */
int vessel_mem_read(struct vessel_vm *vm, u64 gpa, void *buf, size_t len)
{
	return mem_copy(vm, gpa, buf, NULL, len);
}

/**
 * vessel_mem_write() - copy a kernel buffer to guest-physical memory
 * @vm:		the VM
 * @gpa:	the first guest-physical address
 * @buf:	the kernel buffer
 * @len:	how many bytes
 *
 * Return: as vessel_mem_read(), and -EPERM when a byte lies in a read-only
 * slot.
 */
int vessel_mem_write(struct vessel_vm *vm, u64 gpa, const void *buf,
		     size_t len)
{
	return mem_copy(vm, gpa, NULL, buf, len);
}

/**
 * vessel_mem_write_atomic() - vessel_mem_write() where sleeping is not allowed
 * @vm:		the VM
 * @gpa:	the first guest-physical address
 * @buf:	the kernel buffer
 * @len:	how many bytes
 *
 * With page faults off: a page of the VMM that is not present makes it
 * fail (-EFAULT) rather than sleep.  For writes the guest can do without.
 *
 * Return: as vessel_mem_write().
 */
int vessel_mem_write_atomic(struct vessel_vm *vm, u64 gpa, const void *buf,
			    size_t len)
{
	int r;

	pagefault_disable();
	r = mem_copy(vm, gpa, NULL, buf, len);
	pagefault_enable();
	return r;
}

/**
 * vessel_mem_u8_atomic() - read or write a guest byte, the lookup kept
 * @vm:		the VM
 * @c:		the byte's VMM address as last looked up
 * @gpa:	the byte's guest-physical address
 * @val:	the byte to write, or where the byte read goes
 * @write:	write rather than read
 *
 * One byte read or written with page faults off, as
 * vessel_mem_write_atomic() writes, for a caller with IRQs or
 * preemption off that reaches the same byte at every
 * interrupt (the PV EOI flag): the slot walk is done once and its result
 * kept in @c until the slots or the VMM's mappings change (inval_seq
 * moves, as the EPT fault path watches it).  The byte must be writable:
 * in a read-only slot a read fails too (-EPERM).
 *
 * Return: as vessel_mem_write_atomic().
 */
int vessel_mem_u8_atomic(struct vessel_vm *vm, struct vessel_mem_cache *c,
			 u64 gpa, u8 *val, bool write)
{
	unsigned long seq = READ_ONCE(vm->mem.inval_seq);
	void __user *uaddr;
	size_t n;
	int r;

	if (current->mm != vm->mm)
		return -EFAULT;
	if (!c->uaddr || c->gpa != gpa || c->seq != seq) {
		/* inval_seq before the slots: ept.c bumps it after publishing. */
		smp_rmb();
		r = mem_chunk(&vm->mem, gpa, 1, true, &uaddr, &n);
		if (r)
			return r;
		c->gpa = gpa;
		c->uaddr = uaddr;
		c->seq = seq;
	}
	pagefault_disable();
	r = write ? put_user(*val, c->uaddr) : get_user(*val, c->uaddr);
	pagefault_enable();
	return r;
}

/**
 * vessel_mem_xchg_u8() - replace a guest byte by @val atomically
 * @vm:		the VM
 * @gpa:	the byte's guest-physical address
 * @val:	its new value
 * @old:	where its old value goes
 *
 * Atomic against the guest's own locked instructions on the byte (another
 * vCPU's CMPXCHG): a locked CMPXCHG on the VMM's mapping, retried while
 * the guest keeps changing the byte.  May sleep.
 *
 * Return: 0 with the byte replaced and its old value in *@old; as
 * vessel_mem_write() otherwise; -EAGAIN when the guest kept changing it.
 */
int vessel_mem_xchg_u8(struct vessel_vm *vm, u64 gpa, u8 val, u8 *old)
{
	void __user *uaddr;
	u8 __user *p;
	size_t n;
	int i, r;
	u8 cur;

	if (current->mm != vm->mm)
		return -EFAULT;
	r = mem_chunk(&vm->mem, gpa, 1, true, &uaddr, &n);
	if (r)
		return r;
	p = uaddr;
	if (get_user(cur, p))
		return -EFAULT;
	/* Only a guest changing the byte as often can make this fail. */
	for (i = 0; i < 16; i++) {
		r = __try_cmpxchg_user(p, &cur, val, efault);
		if (r <= 0)
			break;
	}
	if (r > 0)
		return -EAGAIN;
	if (r)
		return r;
	vessel_mem_mark_dirty(&vm->mem, gpa, 1);
	*old = cur;
	return 0;
}
