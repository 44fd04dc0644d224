// SPDX-License-Identifier: GPL-2.0
/*
 * probe: register_random_vmfork_notifier
 * define: WGC_HAVE_REGISTER_RANDOM_VMFORK_NOTIFIER
 * kind: compile
 * detects: register_random_vmfork_notifier() (clear keys when a VM is forked)
 * when: 5.18
 */
#include <linux/random.h>

int wgc_probe(struct notifier_block *nb);
int wgc_probe(struct notifier_block *nb)
{
	return register_random_vmfork_notifier(nb);
}
