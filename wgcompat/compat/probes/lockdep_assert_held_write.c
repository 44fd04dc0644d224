// SPDX-License-Identifier: GPL-2.0
/*
 * probe: lockdep_assert_held_write
 * define: WGC_HAVE_LOCKDEP_ASSERT_HELD_WRITE
 * kind: compile
 * detects: lockdep_assert_held_write()
 * when: 5.0 (before: lockdep_assert_held_exclusive())
 */
#include <linux/lockdep.h>
#include <linux/rwsem.h>

void wgc_probe(struct rw_semaphore *sem);
void wgc_probe(struct rw_semaphore *sem)
{
	lockdep_assert_held_write(sem);
}
