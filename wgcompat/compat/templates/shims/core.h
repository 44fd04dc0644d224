/* ---- core: timers, randomness, allocation, compiler attributes ------------------- */
#if !WGC_HAVE_EXPORT_CRYPTO_MEMNEQ
/* No __crypto_memneq export (a kernel without the crypto core): a constant-time compare. */
static inline int wgc_crypto_memneq(const void *a, const void *b, size_t size)
{
	const u8 *x = a, *y = b;
	u8 diff = 0;
	size_t i;

	for (i = 0; i < size; i++)
		diff |= x[i] ^ y[i];
	OPTIMIZER_HIDE_VAR(diff);
	return diff != 0;
}
#define crypto_memneq wgc_crypto_memneq
#endif

#if !WGC_HAVE_STATIC_ASSERT
/* As <linux/build_bug.h> has it since 5.1: the message is optional. */
#define static_assert(expr, ...) wgc_static_assert_(expr, ##__VA_ARGS__, #expr)
#define wgc_static_assert_(expr, msg, ...) _Static_assert(expr, msg)
#endif

#if !WGC_HAVE_NONSTRING_ATTR
#define __nonstring
#endif
#if !WGC_HAVE_FALLTHROUGH
#define fallthrough do {} while (0)
#endif

#if !WGC_HAVE_TIMER_DELETE_SYNC
static inline int timer_delete_sync(struct timer_list *timer)
{
	return del_timer_sync(timer);
}
#endif
#if !WGC_HAVE_TIMER_DELETE
static inline int timer_delete(struct timer_list *timer)
{
	return del_timer(timer);
}
#endif
#if !WGC_HAVE_TIMER_SHUTDOWN_SYNC
/* Without shutdown semantics: callers must not re-arm the timer afterwards. */
static inline int timer_shutdown_sync(struct timer_list *timer)
{
	return timer_delete_sync(timer);
}
#endif
#if !WGC_HAVE_TIMER_CONTAINER_OF
#define timer_container_of(var, timer, field) from_timer(var, timer, field)
#endif

#if !WGC_HAVE_KTIME_GET_COARSE_BOOTTIME_NS
static inline u64 ktime_get_coarse_boottime_ns(void)
{
	return ktime_to_ns(ktime_get_coarse_boottime());
}
#endif

#if !WGC_HAVE_GET_RANDOM_U32_BELOW
/* Multiply-shift reduction of a full random word; the bias is below 2^-32 * ceil. */
static inline u32 get_random_u32_below(u32 ceil)
{
	return (u32)(((u64)get_random_u32() * ceil) >> 32);
}
#endif
#if !WGC_HAVE_GET_RANDOM_U32_INCLUSIVE
static inline u32 get_random_u32_inclusive(u32 floor, u32 ceil)
{
	return floor + get_random_u32_below(ceil - floor + 1);
}
#endif
#if !WGC_HAVE_REGISTER_RANDOM_VMFORK_NOTIFIER
/* The kernel cannot tell us about VM forks: registering succeeds and never fires. */
static inline int register_random_vmfork_notifier(struct notifier_block *nb)
{
	return 0;
}

static inline int unregister_random_vmfork_notifier(struct notifier_block *nb)
{
	return 0;
}
#endif

#if !WGC_HAVE_KFREE_SENSITIVE
static inline void kfree_sensitive(const void *p)
{
	kzfree(p);
}
#endif

#if !WGC_HAVE_WQ_PERCPU
#define WQ_PERCPU 0
#endif

#if !WGC_HAVE_RCU_REPLACE_POINTER
#define rcu_replace_pointer(rcu_ptr, ptr, c) ({				\
	typeof(ptr) wgc_old_ = rcu_dereference_protected((rcu_ptr), (c));	\
	rcu_assign_pointer((rcu_ptr), (ptr));				\
	wgc_old_;							\
})
#endif

#if !WGC_HAVE_LOCKDEP_ASSERT_HELD_WRITE
#define lockdep_assert_held_write(l) lockdep_assert_held_exclusive(l)
#endif

#if !WGC_HAVE_LOCKDEP_ASSERT_IN_SOFTIRQ
/* Softirq context or BH disabled, asserted where lockdep runs. */
#ifdef CONFIG_PROVE_LOCKING
#define lockdep_assert_in_softirq()					\
	WARN_ON_ONCE(debug_locks && (!in_softirq() || in_irq() || in_nmi()))
#else
#define lockdep_assert_in_softirq() do { } while (0)
#endif
#endif

#if !WGC_HAVE_TOTALRAM_PAGES_FN
/* Still the variable here; a function-like macro leaves its other uses alone. */
#define totalram_pages() (totalram_pages)
#endif

#if !WGC_HAVE_HLIST_FOR_EACH_ENTRY_RCU_COND
/* Without the optional lockdep condition: it is accepted and not evaluated. */
#undef hlist_for_each_entry_rcu
#define hlist_for_each_entry_rcu(pos, head, member, cond...)				\
	for (pos = hlist_entry_safe(rcu_dereference_raw(hlist_first_rcu(head)),		\
				    typeof(*(pos)), member);				\
	     pos;									\
	     pos = hlist_entry_safe(rcu_dereference_raw(hlist_next_rcu(&(pos)->member)),	\
				    typeof(*(pos)), member))
#endif

/*
 * Inside a struct pernet_operations initialiser: the hook that runs before the namespace's
 * devices go. Without .pre_exit, .exit of an operation registered with
 * register_pernet_device() also runs before default_device_exit (devices still present).
 */
#if WGC_HAVE_PERNET_PRE_EXIT
#define WGC_PERNET_PRE_EXIT(fn) .pre_exit = (fn),
#else
#define WGC_PERNET_PRE_EXIT(fn) .exit = (fn),
#endif
