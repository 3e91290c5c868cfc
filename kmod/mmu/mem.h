/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: guest memory slots and EPT (kmod/mmu/memory.c, kmod/mmu/ept.c).
 */
#ifndef VESSEL_MEM_H
#define VESSEL_MEM_H

#include <linux/atomic.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct vessel_vm;
struct vessel_memory_region;
struct vessel_dirty_log;

/* Returned by vessel_mem_fault() for an access that userspace emulates. */
#define VESSEL_MEM_MMIO		1

/*
 * One guest-physical range backed by memory of the VMM process.  With
 * VESSEL_MEM_LOG_DIRTY, @dirty has a bit per page, set when the guest or
 * the kernel may have written the page since userspace last cleared it.
 * The bitmap is shared by every copy of the slot table that holds the slot
 * and freed only after an RCU grace period once no table holds it.
 */
struct vessel_mem_slot {
	u64 gpa;
	u64 size;		/* bytes; 0: the slot is unused */
	unsigned long hva;	/* userspace address of @gpa */
	u32 flags;		/* VESSEL_MEM_* */
	unsigned long *dirty;	/* with VESSEL_MEM_LOG_DIRTY only */
};

/*
 * All slots of a VM.  Never changed in place: a change publishes a new copy
 * (RCU), so the fault path can look a slot up without a lock.  @used: one
 * more than the highest slot in use, so that a lookup stops there.
 */
struct vessel_mem_slots {
	struct rcu_head rcu;
	unsigned int used;
	struct vessel_mem_slot slot[];	/* VESSEL_MAX_MEM_SLOTS */
};

/**
 * struct vessel_mem - the guest memory and EPT of one VM
 * @slots_lock:		serialises slot changes (VESSEL_SET_MEMORY_REGION)
 * @slots:		the current slots; read under RCU, @slots_lock or
 *			@ept_lock; replaced holding both locks
 * @ept_lock:		the EPT tables, the invalidation state below and the
 *			publication of @slots; taken from notifier callbacks
 *			that must not sleep, so a spinlock
 * @ept_root:		the PML4 table
 * @eptp:		EPT pointer for the VMCS
 * @mn:			our subscription to the VMM's mm
 * @inval_seq:		bumped when an invalidation of the VMM's mm ends or
 *			the slots change; a fault that raced with either
 *			sees it changed and retries
 * @inval_in_progress:	invalidations between start and end
 * @inval_start:	hva range those invalidations cover (merged)
 * @inval_end:		end of that range (exclusive)
 * @leaves_4k:		EPT leaves mapping 4 KiB pages
 * @leaves_2m:		EPT leaves mapping 2 MiB pages
 * @dirty_faults:	write faults that dirty logging trapped
 * @ad:			dirty logging reads the EPT's dirty flags (the EPTP
 *			enables them) instead of write-protecting
 * @pml:		and the vCPUs' page-modification logs (vmx/), so
 *			that GET need not walk the EPT for the flags
 */
struct vessel_mem {
	struct mutex slots_lock;
	struct vessel_mem_slots __rcu *slots;

	spinlock_t ept_lock;
	struct page *ept_root;
	u64 eptp;
	struct mmu_notifier mn;
	unsigned long inval_seq;
	unsigned int inval_in_progress;
	unsigned long inval_start;
	unsigned long inval_end;

	atomic_long_t leaves_4k;
	atomic_long_t leaves_2m;
	atomic_long_t dirty_faults;
	bool ad;
	bool pml;
};

int vessel_mem_init(struct vessel_vm *vm);
void vessel_mem_destroy(struct vessel_vm *vm);
long vessel_mem_set_region(struct vessel_vm *vm,
			   const struct vessel_memory_region *r);
u64 vessel_mem_eptp(struct vessel_vm *vm);
int vessel_mem_fault(struct vessel_vm *vm, u64 gpa, bool write, bool exec);
int vessel_mem_read(struct vessel_vm *vm, u64 gpa, void *buf, size_t len);
int vessel_mem_test_and_set_bit(struct vessel_vm *vm, u64 gpa,
				unsigned int nr);
int vessel_mem_write(struct vessel_vm *vm, u64 gpa, const void *buf,
		     size_t len);
int vessel_mem_write_atomic(struct vessel_vm *vm, u64 gpa, const void *buf,
			    size_t len);
int vessel_mem_xchg_u8(struct vessel_vm *vm, u64 gpa, u8 val, u8 *old);
long vessel_mem_get_dirty_log(struct vessel_vm *vm,
			      const struct vessel_dirty_log *d);
long vessel_mem_clear_dirty_log(struct vessel_vm *vm,
				const struct vessel_dirty_log *d);

/*
 * A guest byte accessed over and over (the PV EOI flag): its VMM address,
 * looked up for @gpa while vessel_mem.inval_seq was @seq.  Zeroed: none.
 */
struct vessel_mem_cache {
	u64 gpa;
	u8 __user *uaddr;
	unsigned long seq;
};

int vessel_mem_u8_atomic(struct vessel_vm *vm, struct vessel_mem_cache *c,
			 u64 gpa, u8 *val, bool write);

/* Between memory.c and ept.c. */
const struct vessel_mem_slot *
vessel_mem_slot_find(const struct vessel_mem_slots *slots, u64 gpa);
int vessel_ept_init(struct vessel_vm *vm);
void vessel_ept_destroy(struct vessel_vm *vm);
void vessel_ept_replace_slots(struct vessel_vm *vm,
			      struct vessel_mem_slots *slots,
			      const struct vessel_mem_slot *old);
bool vessel_ept_write_protect_locked(struct vessel_vm *vm, u64 gpa);
bool vessel_ept_clear_dirty_locked(struct vessel_vm *vm, u64 gpa);
void vessel_ept_harvest_locked(struct vessel_vm *vm,
			       const struct vessel_mem_slot *s, u64 start,
			       u64 end);
void vessel_ept_flush(struct vessel_vm *vm);
void vessel_mem_mark_dirty(struct vessel_mem *mem, u64 gpa, u64 len);

#endif /* VESSEL_MEM_H */
