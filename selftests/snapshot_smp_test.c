// SPDX-License-Identifier: GPL-2.0
/*
 * snapshot_test.c's save and restore with 4 vCPUs, for the smp boot (two
 * host CPUs): its variants none_4cpus, kvm_4cpus and hyperv_4cpus.
 */
#define SNAPSHOT_SMP
#include "snapshot_test.c"
