// SPDX-License-Identifier: GPL-2.0
/*
 * probe: crypto_memneq_algapi
 * define: WGC_HAVE_CRYPTO_MEMNEQ_ALGAPI
 * kind: compile
 * detects: crypto_memneq() declared through <crypto/algapi.h>
 * when: always until 6.2 moved it to <crypto/utils.h> (algapi.h still includes it)
 */
#include <crypto/algapi.h>

int wgc_probe(const void *a, const void *b);
int wgc_probe(const void *a, const void *b)
{
	return crypto_memneq(a, b, 16);
}
