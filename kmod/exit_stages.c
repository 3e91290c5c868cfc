// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: the debug build's per-stage instruction counts (exit_stages.h).
 * Only built with VESSEL_EXIT_STAGES=1.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>

#include "exit_stages.h"
#include "internal.h"

static const char *const stage_names[VESSEL_NR_STAGES] = {
	[VESSEL_STAGE_EXIT]		= "exit",
	[VESSEL_STAGE_FAST]		= "fast",
	[VESSEL_STAGE_DISPATCH]		= "dispatch",
	[VESSEL_STAGE_HANDLER]		= "handler",
	[VESSEL_STAGE_RUN_LEAVE]	= "run_leave",
	[VESSEL_STAGE_USER]		= "user",
	[VESSEL_STAGE_RUN_ENTER]	= "run_enter",
	[VESSEL_STAGE_LOOP]		= "loop",
	[VESSEL_STAGE_PV]		= "pv",
	[VESSEL_STAGE_LAPIC]		= "lapic",
	[VESSEL_STAGE_EVENTS]		= "events",
	[VESSEL_STAGE_CHECKS]		= "checks",
	[VESSEL_STAGE_GUEST]		= "guest",
};

/* The trips of vCPUs that are gone, and of live ones as they go. */
static DEFINE_SPINLOCK(stages_lock);
static u64 stages_sum[VESSEL_NR_VMX_EXIT_REASONS][VESSEL_NR_STAGES];
static u64 stages_trips[VESSEL_NR_VMX_EXIT_REASONS];

void vessel_stages_init(struct vessel_vcpu *vcpu)
{
	vcpu->stages.row = vcpu->stages.sum[0];
	vcpu->stages.last = rdtsc();
}

void vessel_stages_fold(struct vessel_vcpu *vcpu)
{
	struct vessel_exit_stages *st = &vcpu->stages;
	unsigned int r, i;

	spin_lock(&stages_lock);
	/* Row 0 holds the time before the first exit too: see the header. */
	for (r = 1; r < VESSEL_NR_VMX_EXIT_REASONS; r++) {
		for (i = 0; i < VESSEL_NR_STAGES; i++)
			stages_sum[r][i] += st->sum[r][i];
		stages_trips[r] += st->trips[r];
	}
	spin_unlock(&stages_lock);
}

/* One line per exit reason: trips, then the average of each stage. */
static int stages_show(struct seq_file *m, void *v)
{
	unsigned int r, i;
	u64 total;

	seq_puts(m, "reason trips");
	for (i = 0; i < VESSEL_NR_STAGES; i++)
		seq_printf(m, " %s", stage_names[i]);
	seq_puts(m, " total\n");
	spin_lock(&stages_lock);
	for (r = 0; r < VESSEL_NR_VMX_EXIT_REASONS; r++) {
		u64 n = stages_trips[r];

		if (!n)
			continue;
		seq_printf(m, "%u %llu", r, n);
		total = 0;
		for (i = 0; i < VESSEL_NR_STAGES; i++) {
			seq_printf(m, " %llu", div64_u64(stages_sum[r][i] + n / 2, n));
			total += stages_sum[r][i];
		}
		seq_printf(m, " %llu\n", div64_u64(total + n / 2, n));
	}
	spin_unlock(&stages_lock);
	return 0;
}

static int stages_open(struct inode *inode, struct file *file)
{
	return single_open(file, stages_show, NULL);
}

static ssize_t stages_write(struct file *file, const char __user *buf,
			    size_t len, loff_t *pos)
{
	spin_lock(&stages_lock);
	memset(stages_sum, 0, sizeof(stages_sum));
	memset(stages_trips, 0, sizeof(stages_trips));
	spin_unlock(&stages_lock);
	return len;
}

static const struct file_operations stages_fops = {
	.owner		= THIS_MODULE,
	.open		= stages_open,
	.read		= seq_read,
	.write		= stages_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

/* Beside fail_vmx_insn, in the directory fault_inject.c made. */
void vessel_exit_stages_init(void)
{
	struct dentry *dir = debugfs_lookup("vessel", NULL);

	if (IS_ERR_OR_NULL(dir))
		return;
	debugfs_create_file("exit_stages", 0600, dir, NULL, &stages_fops);
	dput(dir);
	pr_info("vessel: exit stage counters built in (debug build)\n");
}
