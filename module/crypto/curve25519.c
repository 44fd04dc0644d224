// SPDX-License-Identifier: GPL-2.0
/*
 * X25519 (RFC 7748 section 5), portable C, constant time: a Montgomery
 * ladder over every scalar bit with a masked conditional swap, field
 * inversion by exponentiation, no secret-dependent branch or index.
 *
 * Field elements mod p = 2^255 - 19 are five 51-bit limbs with 64x64->128
 * products where the compiler has __int128, and sixteen 16-bit limbs with
 * 32x32->64 products elsewhere (32-bit kernels): slower but portable.
 *
 * The radix 2^51 code is written for speed at -O2: every field operation
 * is inlined into the ladder and unrolled, additions and subtractions do
 * not carry (the bounds below leave room for them), the products carry
 * in two interleaved chains rather than one, the squaring has its own
 * formula, and the multiplication by a24 is a one-round small-constant
 * multiply fused with the addition that follows it.
 *
 * Bounds (radix 2^51): fe_mul, fe_sq and fe_mul_a24_add accept limbs below
 * 2^54; fe_mul and fe_sq return limbs below 2^51 + 2^13, fe_mul_a24_add
 * below 2^51 + 2^25. Sums and differences (f - g + 2p) of two such results
 * stay below 2^53, so every input a product sees in the ladder is below 2^54.
 *
 * Locking: none; all state lives on the caller's stack and is wiped.
 */
#include <linux/random.h>

#include "internal.h"

#if WGC_CRYPTO_INT128

#define FE_LIMBS 5
typedef u64 fe[FE_LIMBS];
#define M51 ((u64)0x7ffffffffffff)

static void fe_frombytes(fe h, const u8 s[32])
{
	h[0] = wgc_le64(s) & M51;
	h[1] = (wgc_le64(s + 6) >> 3) & M51;
	h[2] = (wgc_le64(s + 12) >> 6) & M51;
	h[3] = (wgc_le64(s + 19) >> 1) & M51;
	h[4] = (wgc_le64(s + 24) >> 12) & M51;	/* drops bit 255 */
}

/* Limbs below 2^51 plus a small carry into h[1]. */
static void fe_carry(fe h)
{
	u64 c;

	c = h[0] >> 51; h[0] &= M51; h[1] += c;
	c = h[1] >> 51; h[1] &= M51; h[2] += c;
	c = h[2] >> 51; h[2] &= M51; h[3] += c;
	c = h[3] >> 51; h[3] &= M51; h[4] += c;
	c = h[4] >> 51; h[4] &= M51; h[0] += c * 19;
	c = h[0] >> 51; h[0] &= M51; h[1] += c;
}

static void fe_tobytes(u8 s[32], const fe f)
{
	u64 h[5], q;
	int i;

	for (i = 0; i < 5; i++)
		h[i] = f[i];
	fe_carry(h);
	fe_carry(h);
	/* now h < 2^255; q = 1 iff h >= p, i.e. h + 19 >= 2^255 */
	q = (h[0] + 19) >> 51;
	q = (h[1] + q) >> 51;
	q = (h[2] + q) >> 51;
	q = (h[3] + q) >> 51;
	q = (h[4] + q) >> 51;
	h[0] += 19 * q;
	q = h[0] >> 51; h[0] &= M51; h[1] += q;
	q = h[1] >> 51; h[1] &= M51; h[2] += q;
	q = h[2] >> 51; h[2] &= M51; h[3] += q;
	q = h[3] >> 51; h[3] &= M51; h[4] += q;
	h[4] &= M51;

	wgc_put_le64(s, h[0] | h[1] << 51);
	wgc_put_le64(s + 8, h[1] >> 13 | h[2] << 38);
	wgc_put_le64(s + 16, h[2] >> 26 | h[3] << 25);
	wgc_put_le64(s + 24, h[3] >> 39 | h[4] << 12);
	memzero_explicit(h, sizeof(h));
}

static __always_inline void fe_add(fe h, const fe f, const fe g)
{
	h[0] = f[0] + g[0];
	h[1] = f[1] + g[1];
	h[2] = f[2] + g[2];
	h[3] = f[3] + g[3];
	h[4] = f[4] + g[4];
}

/* h = f - g + 2p; g's limbs must be below 2^52 - 38 (true of every result) */
static __always_inline void fe_sub(fe h, const fe f, const fe g)
{
	h[0] = f[0] + 0xfffffffffffdaULL - g[0];
	h[1] = f[1] + 0xffffffffffffeULL - g[1];
	h[2] = f[2] + 0xffffffffffffeULL - g[2];
	h[3] = f[3] + 0xffffffffffffeULL - g[3];
	h[4] = f[4] + 0xffffffffffffeULL - g[4];
}

/*
 * Five 128-bit column sums to limbs, in two carry chains that run side by
 * side (t0 -> t1 -> t2 -> h3 -> h4 and t3 -> t4 -> h0 -> h1) instead of one
 * through all five. With inputs below 2^54, t0..t3 < 77 * 2^108 < 2^115 so
 * that every carry fits in 64 bits, and t4 < 5 * 2^108 so that 19 times its
 * carry does.
 */
static __always_inline void fe_reduce128(fe h, wgc_u128 t0, wgc_u128 t1,
					 wgc_u128 t2, wgc_u128 t3,
					 wgc_u128 t4)
{
	u64 h0, h1, h2, h3, h4, c;

	t1 += (u64)(t0 >> 51);
	h0 = (u64)t0 & M51;
	t4 += (u64)(t3 >> 51);
	h3 = (u64)t3 & M51;

	t2 += (u64)(t1 >> 51);
	h1 = (u64)t1 & M51;
	c = (u64)(t4 >> 51);
	h4 = (u64)t4 & M51;
	h0 += c * 19;

	h3 += (u64)(t2 >> 51);
	h2 = (u64)t2 & M51;
	h1 += h0 >> 51;
	h0 &= M51;
	h4 += h3 >> 51;
	h3 &= M51;

	h[0] = h0;
	h[1] = h1;
	h[2] = h2;
	h[3] = h3;
	h[4] = h4;
}

/*
 * The same reduction as fe_reduce128, its carries interleaved with the
 * column sums of a product: t3 and t4 first (their products alternated,
 * two independent additions in flight), so that their carries are under
 * way while t0, t1 and t2 are summed, and fewer sums are live at once.
 */
static __always_inline void fe_mul(fe h, const fe f, const fe g)
{
	const u64 f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
	const u64 g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4];
	const u64 g1_19 = g1 * 19, g2_19 = g2 * 19, g3_19 = g3 * 19;
	const u64 g4_19 = g4 * 19;
	wgc_u128 t0, t1, t2, t3, t4;
	u64 h0, h1, h2, h3, h4, c;

	t3 = (wgc_u128)f0 * g3;
	t4 = (wgc_u128)f0 * g4;
	t3 += (wgc_u128)f1 * g2;
	t4 += (wgc_u128)f1 * g3;
	t3 += (wgc_u128)f2 * g1;
	t4 += (wgc_u128)f2 * g2;
	t3 += (wgc_u128)f3 * g0;
	t4 += (wgc_u128)f3 * g1;
	t3 += (wgc_u128)f4 * g4_19;
	t4 += (wgc_u128)f4 * g0;
	t4 += (u64)(t3 >> 51);
	h3 = (u64)t3 & M51;
	t0 = (wgc_u128)f0 * g0 + (wgc_u128)f1 * g4_19 + (wgc_u128)f2 * g3_19 +
	     (wgc_u128)f3 * g2_19 + (wgc_u128)f4 * g1_19;
	c = (u64)(t4 >> 51);
	h4 = (u64)t4 & M51;
	t1 = (wgc_u128)f0 * g1 + (wgc_u128)f1 * g0 + (wgc_u128)f2 * g4_19 +
	     (wgc_u128)f3 * g3_19 + (wgc_u128)f4 * g2_19;
	t1 += (u64)(t0 >> 51);
	h0 = ((u64)t0 & M51) + c * 19;
	t2 = (wgc_u128)f0 * g2 + (wgc_u128)f1 * g1 + (wgc_u128)f2 * g0 +
	     (wgc_u128)f3 * g4_19 + (wgc_u128)f4 * g3_19;
	t2 += (u64)(t1 >> 51);
	h1 = (u64)t1 & M51;
	h3 += (u64)(t2 >> 51);
	h2 = (u64)t2 & M51;

	h[0] = h0 & M51;
	h[1] = h1 + (h0 >> 51);
	h[2] = h2;
	h[3] = h3 & M51;
	h[4] = h4 + (h3 >> 51);
}

/* 15 products instead of 25: the cross terms doubled */
static __always_inline void fe_sq(fe h, const fe f)
{
	const u64 f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
	const u64 f0_2 = f0 * 2, f1_2 = f1 * 2;
	const u64 f1_38 = f1 * 38, f2_38 = f2 * 38, f3_38 = f3 * 38;
	const u64 f3_19 = f3 * 19, f4_19 = f4 * 19;
	wgc_u128 t0, t1, t2, t3, t4;

	t0 = (wgc_u128)f0 * f0 + (wgc_u128)f1_38 * f4 + (wgc_u128)f2_38 * f3;
	t1 = (wgc_u128)f0_2 * f1 + (wgc_u128)f2_38 * f4 + (wgc_u128)f3_19 * f3;
	t2 = (wgc_u128)f0_2 * f2 + (wgc_u128)f1 * f1 + (wgc_u128)f3_38 * f4;
	t3 = (wgc_u128)f0_2 * f3 + (wgc_u128)f1_2 * f2 + (wgc_u128)f4_19 * f4;
	t4 = (wgc_u128)f0_2 * f4 + (wgc_u128)f1_2 * f3 + (wgc_u128)f2 * f2;
	fe_reduce128(h, t0, t1, t2, t3, t4);
}

/*
 * h = f * a24 + g with a24 = 121665 (17 bits): with limbs below 2^54 the
 * columns stay below 2^71, and one round of carries brings every limb
 * below 2^51 + 2^25.
 */
static __always_inline void fe_mul_a24_add(fe h, const fe f, const fe g)
{
	wgc_u128 t0, t1, t2, t3, t4;

	t0 = (wgc_u128)f[0] * 121665 + g[0];
	t1 = (wgc_u128)f[1] * 121665 + g[1];
	t2 = (wgc_u128)f[2] * 121665 + g[2];
	t3 = (wgc_u128)f[3] * 121665 + g[3];
	t4 = (wgc_u128)f[4] * 121665 + g[4];
	h[0] = ((u64)t0 & M51) + (u64)(t4 >> 51) * 19;
	h[1] = ((u64)t1 & M51) + (u64)(t0 >> 51);
	h[2] = ((u64)t2 & M51) + (u64)(t1 >> 51);
	h[3] = ((u64)t3 & M51) + (u64)(t2 >> 51);
	h[4] = ((u64)t4 & M51) + (u64)(t3 >> 51);
}

/* Swap f and g if bit is 1, leave them if 0, without a branch. */
static __always_inline void fe_cswap(fe f, fe g, u32 bit)
{
	const u64 mask = 0 - (u64)bit;
	u64 x0, x1, x2, x3, x4;

	x0 = (f[0] ^ g[0]) & mask;
	x1 = (f[1] ^ g[1]) & mask;
	x2 = (f[2] ^ g[2]) & mask;
	x3 = (f[3] ^ g[3]) & mask;
	x4 = (f[4] ^ g[4]) & mask;
	f[0] ^= x0;
	f[1] ^= x1;
	f[2] ^= x2;
	f[3] ^= x3;
	f[4] ^= x4;
	g[0] ^= x0;
	g[1] ^= x1;
	g[2] ^= x2;
	g[3] ^= x3;
	g[4] ^= x4;
}

#else /* !WGC_CRYPTO_INT128 */

#define FE_LIMBS 16
typedef u32 fe[FE_LIMBS];	/* 16-bit limbs, a few bits of headroom */

static void fe_frombytes(fe h, const u8 s[32])
{
	int i;

	for (i = 0; i < 16; i++)
		h[i] = s[2 * i] | (u32)s[2 * i + 1] << 8;
	h[15] &= 0x7fff;
}

/* Limbs below 2^16 (h[0] may carry a few more bits). */
static void fe_carry(fe h)
{
	u32 c = 0;
	int i;

	for (i = 0; i < 16; i++) {
		h[i] += c;
		c = h[i] >> 16;
		h[i] &= 0xffff;
	}
	h[0] += 38 * c;	/* 2^256 == 38 */
}

static void fe_tobytes(u8 s[32], const fe f)
{
	u32 h[16], g[16], b, mask;
	int i, j;

	for (i = 0; i < 16; i++)
		h[i] = f[i];
	fe_carry(h);
	fe_carry(h);
	fe_carry(h);
	/* now h < 2^256 = 2p + 38: subtract p up to twice, in constant time */
	for (j = 0; j < 2; j++) {
		b = 0;
		for (i = 0; i < 16; i++) {
			u32 pi = i == 0 ? 0xffed : i == 15 ? 0x7fff : 0xffff;

			g[i] = h[i] - pi - b;
			b = g[i] >> 31;
			g[i] &= 0xffff;
		}
		mask = b - 1;	/* no borrow: h >= p, keep g */
		for (i = 0; i < 16; i++)
			h[i] = (h[i] & ~mask) | (g[i] & mask);
	}
	for (i = 0; i < 16; i++) {
		s[2 * i] = h[i];
		s[2 * i + 1] = h[i] >> 8;
	}
	memzero_explicit(h, sizeof(h));
	memzero_explicit(g, sizeof(g));
}

static void fe_add(fe h, const fe f, const fe g)
{
	int i;

	for (i = 0; i < 16; i++)
		h[i] = f[i] + g[i];
	fe_carry(h);
}

/* h = f - g + 4p, limbwise non-negative for carried g */
static void fe_sub(fe h, const fe f, const fe g)
{
	int i;

	h[0] = f[0] + 0x3ffb4 - g[0];
	for (i = 1; i < 15; i++)
		h[i] = f[i] + 0x3fffc - g[i];
	h[15] = f[15] + 0x1fffc - g[15];
	fe_carry(h);
}

static void fe_mul(fe h, const fe f, const fe g)
{
	u64 t[31];
	u32 c;
	int i, j;

	for (i = 0; i < 31; i++)
		t[i] = 0;
	for (i = 0; i < 16; i++)
		for (j = 0; j < 16; j++)
			t[i + j] += (u64)f[i] * g[j];
	for (i = 0; i < 15; i++)
		t[i] += 38 * t[i + 16];
	/* carry the 64-bit columns into 16-bit limbs */
	c = 0;
	for (i = 0; i < 16; i++) {
		t[i] += c;
		c = (u32)(t[i] >> 16);
		h[i] = (u32)t[i] & 0xffff;
	}
	h[0] += 38 * c;
	fe_carry(h);
	memzero_explicit(t, sizeof(t));
}

static void fe_sq(fe h, const fe f)
{
	fe_mul(h, f, f);
}

/* h = f * a24 + g with a24 = 121665; h must not be g */
static void fe_mul_a24_add(fe h, const fe f, const fe g)
{
	static const fe a24 = { 121665 & 0xffff, 121665 >> 16 };

	fe_mul(h, f, a24);
	fe_add(h, h, g);
}

static void fe_cswap(fe f, fe g, u32 bit)
{
	const u32 mask = 0 - bit;
	int i;

	for (i = 0; i < 16; i++) {
		u32 x = (f[i] ^ g[i]) & mask;

		f[i] ^= x;
		g[i] ^= x;
	}
}

#endif /* WGC_CRYPTO_INT128 */

static void fe_sqn(fe h, const fe f, int n)
{
	fe_sq(h, f);
	while (--n > 0)
		fe_sq(h, h);
}

/*
 * h = z^(p - 2) = z^(2^255 - 21) = 1/z. The four temporaries come from the
 * caller, whose ladder variables are dead by then: this keeps the stack
 * frame small on 32-bit kernels (CONFIG_FRAME_WARN is 1024 there).
 */
static void fe_invert(fe h, const fe z, fe z2, fe z11, fe a, fe b)
{
	fe_sq(z2, z);			/* 2 */
	fe_sqn(a, z2, 2);		/* 8 */
	fe_mul(a, a, z);		/* 9 */
	fe_mul(z11, a, z2);		/* 11 */
	fe_sq(b, z11);			/* 22 */
	fe_mul(a, b, a);		/* 31 = 2^5 - 1 */
	fe_sqn(b, a, 5);
	fe_mul(a, b, a);		/* 2^10 - 1 */
	fe_sqn(b, a, 10);
	fe_mul(b, b, a);		/* 2^20 - 1 */
	fe_sqn(z2, b, 20);
	fe_mul(z2, z2, b);		/* 2^40 - 1 */
	fe_sqn(z2, z2, 10);
	fe_mul(a, z2, a);		/* 2^50 - 1 */
	fe_sqn(b, a, 50);
	fe_mul(b, b, a);		/* 2^100 - 1 */
	fe_sqn(z2, b, 100);
	fe_mul(z2, z2, b);		/* 2^200 - 1 */
	fe_sqn(z2, z2, 50);
	fe_mul(z2, z2, a);		/* 2^250 - 1 */
	fe_sqn(z2, z2, 5);		/* 2^255 - 32 */
	fe_mul(h, z2, z11);		/* 2^255 - 21 */
}

/* Everything secret of one scalar multiplication, wiped at the end. */
struct wgc_x25519_ladder {
	fe x1, x2, z2, x3, z3, t0, t1, t2;
	u8 k[32];
};

/*
 * One ladder step (RFC 7748 section 5), with the conditional swap moved
 * inside: A = x2 + z2, B = x2 - z2, C = x3 + z3, D = x3 - z3, then (A, B)
 * and (C, D) swapped if swap is 1, which is the same as swapping (x2, z2)
 * and (x3, z3) before; then
 * x3 = (DA + CB)^2, z3 = x1 (DA - CB)^2,
 * x2 = AA BB, z2 = E (AA + a24 E) with E = AA - BB, a24 = 121665.
 * The operations are ordered so that most neighbours do not depend on each
 * other.
 */
static __always_inline void wgc_x25519_step(struct wgc_x25519_ladder *l,
					    u32 swap)
{
	fe_add(l->t0, l->x2, l->z2);
	fe_sub(l->z2, l->x2, l->z2);		/* B */
	fe_add(l->t1, l->x3, l->z3);
	fe_sub(l->z3, l->x3, l->z3);		/* D */
	fe_cswap(l->t0, l->t1, swap);		/* A, C */
	fe_cswap(l->z2, l->z3, swap);		/* B, D */
	fe_mul(l->x2, l->z3, l->t0);		/* DA */
	fe_sq(l->t0, l->t0);			/* AA */
	fe_mul(l->x3, l->t1, l->z2);		/* CB */
	fe_sq(l->z2, l->z2);			/* BB */
	fe_add(l->t1, l->x2, l->x3);		/* DA + CB */
	fe_sub(l->t2, l->x2, l->x3);		/* DA - CB */
	fe_sq(l->x3, l->t1);
	fe_sub(l->t1, l->t0, l->z2);		/* E */
	fe_mul_a24_add(l->z3, l->t1, l->t0);	/* AA + a24 E */
	fe_sq(l->t2, l->t2);
	fe_mul(l->x2, l->t0, l->z2);		/* AA BB */
	fe_mul(l->z2, l->t1, l->z3);
	fe_mul(l->z3, l->t2, l->x1);
}

static void wgc_x25519(u8 out[32], const u8 scalar[32], const u8 point[32])
{
	struct wgc_x25519_ladder l;
	u32 swap = 0, bit;
	int t;

	memcpy(l.k, scalar, 32);
	wgc_curve25519_clamp_secret(l.k);

	fe_frombytes(l.x1, point);
	memset(l.x2, 0, sizeof(l.x2));
	l.x2[0] = 1;
	memset(l.z2, 0, sizeof(l.z2));
	memcpy(l.x3, l.x1, sizeof(l.x3));
	memset(l.z3, 0, sizeof(l.z3));
	l.z3[0] = 1;

	for (t = 254; t >= 0; t--) {
		bit = (l.k[t >> 3] >> (t & 7)) & 1;
		wgc_x25519_step(&l, swap ^ bit);
		swap = bit;
	}
	fe_cswap(l.x2, l.x3, swap);
	fe_cswap(l.z2, l.z3, swap);

	fe_invert(l.z2, l.z2, l.x3, l.z3, l.t0, l.t1);
	fe_mul(l.x2, l.x2, l.z2);
	fe_tobytes(out, l.x2);
	memzero_explicit(&l, sizeof(l));
}

static bool wgc_is_zero32(const u8 v[32])
{
	static const u8 zero[32];

	return !wgc_memneq(v, zero, 32);
}

void wgc_curve25519_clamp_secret(u8 secret[32])
{
	secret[0] &= 248;
	secret[31] = (secret[31] & 127) | 64;
}

bool wgc_curve25519(u8 out[32], const u8 secret[32], const u8 basepoint[32])
{
	wgc_x25519(out, secret, basepoint);
	return !wgc_is_zero32(out);
}

bool wgc_curve25519_generate_public(u8 pub[32], const u8 secret[32])
{
	static const u8 base[32] = { 9 };

	if (wgc_is_zero32(secret)) {
		memset(pub, 0, 32);
		return false;
	}
	return wgc_curve25519(pub, secret, base);
}

void wgc_curve25519_generate_secret(u8 secret[32])
{
	get_random_bytes(secret, 32);
	wgc_curve25519_clamp_secret(secret);
}
