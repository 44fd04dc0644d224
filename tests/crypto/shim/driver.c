// SPDX-License-Identifier: GPL-2.0
/*
 * The bundled crypto as a program, for the architectures this host cannot
 * load a library of (tests/crypto/remote.py runs it under qemu-user: a
 * big-endian s390x, an arm64). It calls the same functions the ctypes
 * library exports, one call per line of stdin, so the Python tests run
 * unchanged against it.
 *
 * A request is the function's name and its arguments, separated by spaces:
 *   -          NULL
 *   b<hex>     a buffer holding these bytes (read and written by the call)
 *   =<k>       the same buffer as argument k (in-place calls)
 *   i<dec>     an unsigned integer (size_t, u64, int, unsigned int)
 *   u<d>,<d>   an array of u32 (the split sizes of the shim's *_split calls)
 * The answer is one line: the return value (an integer; s<text> for a
 * string) and then, for each b argument in order, its bytes after the call
 * as b<hex>. An unknown function or a malformed request ends the program with
 * a message on stderr and exit status 2.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"	/* module/crypto/, on the include path */
#include "simd.h"

#define MAX_ARGS 10
#define MAX_SPLITS 4096

extern unsigned long wgc_shim_warnings;
size_t wgc_shim_blake2s_state_size(void);
void wgc_shim_chacha20(u8 *dst, const u8 *src, size_t len, const u8 key[32],
		       const u8 nonce[12], u32 counter);
void wgc_shim_chacha20_split(u8 *dst, const u8 *src, size_t len,
			     const u8 key[32], const u8 nonce[12],
			     u32 counter, const u32 *splits, size_t nsplits);
void wgc_shim_poly1305(u8 tag[16], const u8 *in, size_t len, const u8 key[32],
		       const u32 *splits, size_t nsplits);
bool wgc_shim_aead_split(int encrypt, u8 *dst, const u8 *src, size_t len,
			 const u8 *ad, size_t ad_len, u64 nonce,
			 const u8 key[32], const u32 *splits, size_t nsplits);

struct arg {
	char kind;		/* '-', 'b', '=', 'i', 'u' */
	void *p;		/* the buffer or array ('b', '=', 'u'), NULL for '-' */
	size_t len;		/* the buffer's length in bytes */
	unsigned long long v;	/* 'i' */
};

struct call {
	const char *name;
	int argc;
	long (*fn)(struct arg *a);
	const char *(*str)(struct arg *a);	/* instead of fn: returns a string */
};

#define P(i) (a[i].p)
#define V(i) (a[i].v)

static long c_blake2s(struct arg *a)
{
	wgc_blake2s(P(0), V(1), P(2), V(3), P(4), V(5));
	return 0;
}

static long c_blake2s_init(struct arg *a)
{
	wgc_blake2s_init(P(0), V(1));
	return 0;
}

static long c_blake2s_init_key(struct arg *a)
{
	wgc_blake2s_init_key(P(0), V(1), P(2), V(3));
	return 0;
}

static long c_blake2s_update(struct arg *a)
{
	wgc_blake2s_update(P(0), P(1), V(2));
	return 0;
}

static long c_blake2s_final(struct arg *a)
{
	wgc_blake2s_final(P(0), P(1));
	return 0;
}

static long c_curve25519(struct arg *a)
{
	return wgc_curve25519(P(0), P(1), P(2));
}

static long c_generate_public(struct arg *a)
{
	return wgc_curve25519_generate_public(P(0), P(1));
}

static long c_generate_secret(struct arg *a)
{
	wgc_curve25519_generate_secret(P(0));
	return 0;
}

static long c_clamp_secret(struct arg *a)
{
	wgc_curve25519_clamp_secret(P(0));
	return 0;
}

static long c_aead_encrypt(struct arg *a)
{
	wgc_chacha20poly1305_encrypt(P(0), P(1), V(2), P(3), V(4), V(5), P(6));
	return 0;
}

static long c_aead_decrypt(struct arg *a)
{
	return wgc_chacha20poly1305_decrypt(P(0), P(1), V(2), P(3), V(4), V(5), P(6));
}

static long c_aead_encrypt_n96(struct arg *a)
{
	wgc_chacha20poly1305_encrypt_n96(P(0), P(1), V(2), P(3), V(4), P(5), P(6));
	return 0;
}

static long c_aead_decrypt_n96(struct arg *a)
{
	return wgc_chacha20poly1305_decrypt_n96(P(0), P(1), V(2), P(3), V(4), P(5), P(6));
}

static long c_xaead_encrypt(struct arg *a)
{
	wgc_xchacha20poly1305_encrypt(P(0), P(1), V(2), P(3), V(4), P(5), P(6));
	return 0;
}

static long c_xaead_decrypt(struct arg *a)
{
	return wgc_xchacha20poly1305_decrypt(P(0), P(1), V(2), P(3), V(4), P(5), P(6));
}

static long c_hchacha20(struct arg *a)
{
	wgc_hchacha20(P(0), P(1), P(2));
	return 0;
}

static long c_shim_chacha20(struct arg *a)
{
	wgc_shim_chacha20(P(0), P(1), V(2), P(3), P(4), V(5));
	return 0;
}

static long c_shim_chacha20_split(struct arg *a)
{
	wgc_shim_chacha20_split(P(0), P(1), V(2), P(3), P(4), V(5), P(6), V(7));
	return 0;
}

static long c_shim_poly1305(struct arg *a)
{
	wgc_shim_poly1305(P(0), P(1), V(2), P(3), P(4), V(5));
	return 0;
}

static long c_shim_aead_split(struct arg *a)
{
	return wgc_shim_aead_split(V(0), P(1), P(2), V(3), P(4), V(5), V(6), P(7),
				   P(8), V(9));
}

static long c_state_size(struct arg *a)
{
	return wgc_shim_blake2s_state_size();
}

static long c_warnings(struct arg *a)
{
	return wgc_shim_warnings;
}

static long c_simd_force(struct arg *a)
{
	return wgc_simd_force(V(0));
}

static long c_simd_active(struct arg *a)
{
	return wgc_simd_active();
}

static const char *c_simd_name(struct arg *a)
{
	return wgc_simd_name(V(0));
}

#define FN(n, count, f) { .name = n, .argc = count, .fn = f }
#define STR(n, count, f) { .name = n, .argc = count, .str = f }

static const struct call calls[] = {
	FN("wgc_blake2s", 6, c_blake2s),
	FN("wgc_blake2s_init", 2, c_blake2s_init),
	FN("wgc_blake2s_init_key", 4, c_blake2s_init_key),
	FN("wgc_blake2s_update", 3, c_blake2s_update),
	FN("wgc_blake2s_final", 2, c_blake2s_final),
	FN("wgc_curve25519", 3, c_curve25519),
	FN("wgc_curve25519_generate_public", 2, c_generate_public),
	FN("wgc_curve25519_generate_secret", 1, c_generate_secret),
	FN("wgc_curve25519_clamp_secret", 1, c_clamp_secret),
	FN("wgc_chacha20poly1305_encrypt", 7, c_aead_encrypt),
	FN("wgc_chacha20poly1305_decrypt", 7, c_aead_decrypt),
	FN("wgc_chacha20poly1305_encrypt_n96", 7, c_aead_encrypt_n96),
	FN("wgc_chacha20poly1305_decrypt_n96", 7, c_aead_decrypt_n96),
	FN("wgc_xchacha20poly1305_encrypt", 7, c_xaead_encrypt),
	FN("wgc_xchacha20poly1305_decrypt", 7, c_xaead_decrypt),
	FN("wgc_hchacha20", 3, c_hchacha20),
	FN("wgc_shim_chacha20", 6, c_shim_chacha20),
	FN("wgc_shim_chacha20_split", 8, c_shim_chacha20_split),
	FN("wgc_shim_poly1305", 6, c_shim_poly1305),
	FN("wgc_shim_aead_split", 10, c_shim_aead_split),
	FN("wgc_shim_blake2s_state_size", 0, c_state_size),
	FN("wgc_shim_warnings", 0, c_warnings),
	FN("wgc_simd_force", 1, c_simd_force),
	FN("wgc_simd_active", 0, c_simd_active),
	STR("wgc_simd_name", 1, c_simd_name),
};

static void __attribute__((noreturn)) bad_request(const char *why, const char *what)
{
	fprintf(stderr, "wgc-crypto-driver: %s: %s\n", why, what);
	exit(2);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void parse_arg(struct arg *a, char *tok, struct arg *args, int i)
{
	size_t n, k;
	char *end;

	a->kind = tok[0];
	a->p = NULL;
	a->len = 0;
	a->v = 0;
	switch (tok[0]) {
	case '-':
		return;
	case 'i':
		a->v = strtoull(tok + 1, &end, 10);
		if (*end)
			bad_request("not an integer", tok);
		return;
	case '=':
		k = strtoul(tok + 1, &end, 10);
		if (*end || k >= (size_t)i || args[k].kind != 'b')
			bad_request("not an earlier buffer", tok);
		a->p = args[k].p;
		a->len = args[k].len;
		return;
	case 'b':
		n = strlen(tok + 1);
		if (n % 2)
			bad_request("odd hex length", tok);
		a->len = n / 2;
		a->p = calloc(1, a->len ? a->len : 1);
		for (k = 0; k < a->len; k++) {
			int hi = hexval(tok[1 + 2 * k]), lo = hexval(tok[2 + 2 * k]);

			if (hi < 0 || lo < 0)
				bad_request("not hex", tok);
			((u8 *)a->p)[k] = (u8)(hi << 4 | lo);
		}
		return;
	case 'u': {
		u32 *arr = calloc(MAX_SPLITS, sizeof(u32));
		char *s = tok + 1;

		for (n = 0; *s && n < MAX_SPLITS; n++) {
			arr[n] = (u32)strtoul(s, &end, 10);
			if (end == s || (*end && *end != ','))
				bad_request("not a list of integers", tok);
			s = *end ? end + 1 : end;
		}
		a->p = arr;
		a->len = n * sizeof(u32);
		return;
	}
	}
	bad_request("unknown argument kind", tok);
}

/* " b<hex>" in one write: a printf per byte is most of a call's time under qemu-user */
static void put_hex(const u8 *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	static char out[2 + 2 * (1 << 21)];
	size_t k;

	if (len > 1 << 21)
		bad_request("buffer too long to answer", "b");
	out[0] = ' ';
	out[1] = 'b';
	for (k = 0; k < len; k++) {
		out[2 + 2 * k] = digits[p[k] >> 4];
		out[3 + 2 * k] = digits[p[k] & 15];
	}
	fwrite(out, 1, 2 + 2 * len, stdout);
}

int main(void)
{
	static char line[1 << 22];
	struct arg args[MAX_ARGS];

	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		char *save, *name = strtok_r(line, " \n", &save), *tok;
		const struct call *c = NULL;
		int argc = 0, i;
		size_t j;

		if (!name)
			continue;
		for (j = 0; j < sizeof(calls) / sizeof(calls[0]); j++)
			if (!strcmp(calls[j].name, name))
				c = &calls[j];
		if (!c)
			bad_request("unknown function", name);
		while ((tok = strtok_r(NULL, " \n", &save))) {
			if (argc == MAX_ARGS)
				bad_request("too many arguments", name);
			parse_arg(&args[argc], tok, args, argc);
			argc++;
		}
		if (argc != c->argc)
			bad_request("wrong number of arguments", name);
		if (c->str)
			printf("s%s", c->str(args) ?: "");
		else
			printf("%ld", c->fn(args));
		for (i = 0; i < argc; i++)
			if (args[i].kind == 'b')
				put_hex(args[i].p, args[i].len);
		putchar('\n');
		for (i = 0; i < argc; i++)
			if (args[i].kind == 'b' || args[i].kind == 'u')
				free(args[i].p);
	}
	return 0;
}
