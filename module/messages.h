/* SPDX-License-Identifier: GPL-2.0 */
/*
 * messages.h - the WireGuard wire format and protocol constants.
 *
 * Owns: the on-the-wire layout of the four message types, the protocol's
 * time and count limits, and wg_msg_classify(), the one gate every received
 * UDP payload must pass before any other code reads a field of it.
 *
 * Locking: none; everything here is constant data or a pure function
 * (the clock helpers read the boot-time clock).
 *
 * Usage rules for the receive path:
 *   type = wg_msg_classify(buf, len);
 *   if (type == WG_MSG_INVALID) drop;
 * Only after that may the buffer be cast to the struct of that type. A
 * classified buffer must be linear (contiguous) for at least
 * wg_msg_header_len(type) bytes: handshake messages whole, data messages
 * their 16-byte header.
 */
#ifndef WG_MESSAGES_H
#define WG_MESSAGES_H

#include <linux/types.h>
#include <linux/build_bug.h>
#include <linux/kernel.h>
#include <linux/time64.h>
#include <linux/ktime.h>
#include <linux/string.h>
#include <linux/compiler.h>
#include <asm/byteorder.h>

/* Sizes of the primitives' inputs and outputs, in bytes. */
#define WG_KEY_LEN		32	/* X25519 keys, symmetric keys, hashes */
#define WG_HASH_LEN		32
#define WG_AEAD_TAG_LEN		16
#define WG_MAC_LEN		16	/* mac1, mac2 and the cookie itself */
#define WG_COOKIE_LEN		16
#define WG_COOKIE_NONCE_LEN	24
#define WG_TAI64N_LEN		12

/* The sealed length of a plaintext of @plain bytes. */
#define WG_SEALED_LEN(plain)	((plain) + WG_AEAD_TAG_LEN)

enum wg_msg_type {
	WG_MSG_INVALID = 0,	/* returned by wg_msg_classify() only */
	WG_MSG_INITIATION = 1,
	WG_MSG_RESPONSE = 2,
	WG_MSG_COOKIE_REPLY = 3,
	WG_MSG_DATA = 4,
};

/*
 * Every message starts with one byte of type and three reserved bytes that
 * must be zero. Reading the four bytes as one little-endian word and
 * comparing it with the type number checks both at once.
 */
struct wg_msg_head {
	__le32 type;
} __packed;

/* The two MACs that end every handshake message (initiation, response). */
struct wg_msg_macs {
	u8 mac1[WG_MAC_LEN];
	u8 mac2[WG_MAC_LEN];
} __packed;

/*
 * The Noise part of the two handshake messages, apart from the WireGuard
 * framing around it (type, indices, MACs): noise.c reads and writes only
 * these bodies, cookie.c only the MACs, the device only the indices.
 */
struct wg_noise_init_body {
	u8 ephemeral[WG_KEY_LEN];				/* e */
	u8 sealed_static[WG_SEALED_LEN(WG_KEY_LEN)];		/* {s} */
	u8 sealed_timestamp[WG_SEALED_LEN(WG_TAI64N_LEN)];	/* {t} */
} __packed;

struct wg_noise_resp_body {
	u8 ephemeral[WG_KEY_LEN];			/* e */
	u8 sealed_empty[WG_SEALED_LEN(0)];		/* {} */
} __packed;

/* Type 1: -> e, es, s, ss, {t}. 148 bytes. */
struct wg_msg_initiation {
	struct wg_msg_head head;
	__le32 sender_index;
	struct wg_noise_init_body noise;
	struct wg_msg_macs macs;
} __packed;

/* Type 2: <- e, ee, se, psk, {}. 92 bytes. */
struct wg_msg_response {
	struct wg_msg_head head;
	__le32 sender_index;
	__le32 receiver_index;
	struct wg_noise_resp_body noise;
	struct wg_msg_macs macs;
} __packed;

/* Type 3: an encrypted cookie for the sender of a handshake. 64 bytes. */
struct wg_msg_cookie_reply {
	struct wg_msg_head head;
	__le32 receiver_index;
	u8 nonce[WG_COOKIE_NONCE_LEN];
	u8 sealed_cookie[WG_SEALED_LEN(WG_COOKIE_LEN)];
} __packed;

/*
 * Type 4: transport data. The 16-byte header is followed by the sealed,
 * padded inner packet (at least the 16-byte tag). The counter is the AEAD
 * nonce.
 */
struct wg_msg_data {
	struct wg_msg_head head;
	__le32 receiver_index;
	__le64 counter;
	u8 sealed[];
} __packed;

static_assert(sizeof(struct wg_msg_head) == 4);
static_assert(sizeof(struct wg_noise_init_body) == 108);
static_assert(sizeof(struct wg_noise_resp_body) == 48);
static_assert(sizeof(struct wg_msg_macs) == 32);
static_assert(sizeof(struct wg_msg_initiation) == 148);
static_assert(sizeof(struct wg_msg_response) == 92);
static_assert(sizeof(struct wg_msg_cookie_reply) == 64);
static_assert(sizeof(struct wg_msg_data) == 16);

/* Wire length of a data message carrying @plain bytes of padded plaintext. */
#define WG_DATA_LEN(plain)	(sizeof(struct wg_msg_data) + WG_SEALED_LEN(plain))
#define WG_DATA_MIN_LEN		WG_DATA_LEN(0)	/* a keepalive: 32 bytes */
static_assert(WG_DATA_MIN_LEN == 32);

/* Bytes of overhead a data message adds inside UDP (header and tag). */
#define WG_DATA_OVERHEAD	WG_DATA_LEN(0)

/* The plaintext of a data message is zero-padded to a multiple of this. */
#define WG_PADDING_MULTIPLE	16

/* Time limits, in seconds (whitepaper §6.1). */
#define WG_REKEY_AFTER_TIME		120
#define WG_REJECT_AFTER_TIME		180
#define WG_REKEY_ATTEMPT_TIME		90
#define WG_REKEY_TIMEOUT		5
#define WG_KEEPALIVE_TIMEOUT		10
#define WG_COOKIE_SECRET_MAX_AGE	120
#define WG_COOKIE_SECRET_LATENCY	5
/* A cookie is used for mac2 only while younger than this many seconds. */
#define WG_COOKIE_USABLE_AGE	(WG_COOKIE_SECRET_MAX_AGE - WG_COOKIE_SECRET_LATENCY)
/* Retries of an initiation before giving up: 90 s / 5 s. */
#define WG_MAX_HANDSHAKE_ATTEMPTS	(WG_REKEY_ATTEMPT_TIME / WG_REKEY_TIMEOUT)
/* The initiator of a keypair rekeys on receive once the key is this old. */
#define WG_REKEY_ON_RECEIVE_AGE	\
	(WG_REJECT_AFTER_TIME - WG_KEEPALIVE_TIMEOUT - WG_REKEY_TIMEOUT)
/* All key material is wiped after this long without a new session. */
#define WG_WIPE_KEYS_AFTER	(WG_REJECT_AFTER_TIME * 3)

/* Handshake initiations accepted per second from one peer (flood check). */
#define WG_INITIATIONS_PER_SECOND	50
/* Minimum spacing of two consumed initiations of one peer: 20 ms. */
#define WG_INITIATION_MIN_INTERVAL_NS	(NSEC_PER_SEC / WG_INITIATIONS_PER_SECOND)

/*
 * The anti-replay bitmap has WG_REPLAY_BITS bits; one machine word of it is
 * always being recycled, so the usable window is one word smaller
 * (8128 on 64-bit, 8160 on 32-bit).
 */
#define WG_REPLAY_BITS		8192
#define WG_REPLAY_WINDOW	(WG_REPLAY_BITS - BITS_PER_LONG)

/* Count limits on one keypair. */
#define WG_REKEY_AFTER_MESSAGES		(1ULL << 60)
#define WG_REJECT_AFTER_MESSAGES	(U64_MAX - WG_REPLAY_WINDOW - 1)

/* Device limits. */
#define WG_MAX_PEERS			(1U << 20)
#define WG_MAX_STAGED_PACKETS		128
/* Packets in an engine's ring, and in one peer's tx or rx order list. */
#define WG_MAX_QUEUED_PACKETS		1024
#define WG_MAX_QUEUED_HANDSHAKES	4096
/* At or above this many queued handshakes the device is "under load". */
#define WG_UNDER_LOAD_QUEUE_LEN		(WG_MAX_QUEUED_HANDSHAKES / 8)
/* ... and it stays under load for this long after the last time it was. */
#define WG_UNDER_LOAD_HOLD_NS		NSEC_PER_SEC

/* DSCP AF41 in the TOS byte of outgoing handshake packets. */
#define WG_HANDSHAKE_DSCP	0x88

/* Outer overhead for the default MTU: WireGuard 32 + UDP 8 + IPv6 40. */
#define WG_DEFAULT_MTU		1420

/* The clock of every age check of the protocol core: boot time, in ns. */
static inline u64 wg_clock_ns(void)
{
	return ktime_get_coarse_boottime_ns();
}

/* True if @birth_ns is more than @seconds before @now_ns. */
static inline bool wg_older_than(u64 birth_ns, u64 now_ns, u64 seconds)
{
	return now_ns - birth_ns > seconds * NSEC_PER_SEC;
}

/**
 * wg_msg_classify - check a received message before anything reads it
 * @buf: the UDP payload (at least the first @len bytes readable)
 * @len: the UDP payload length
 *
 * Checks that the message is at least as long as its header, that the type
 * is known, that the three reserved bytes are zero, and that the length is
 * exact for handshake messages (148, 92, 64) or at least 32 for data.
 *
 * Return: the message type, or WG_MSG_INVALID; drop the packet silently
 * then.
 */
static inline enum wg_msg_type wg_msg_classify(const void *buf, size_t len)
{
	struct wg_msg_head head;

	if (unlikely(len < sizeof(head)))
		return WG_MSG_INVALID;
	memcpy(&head, buf, sizeof(head));
	switch (le32_to_cpu(head.type)) {
	case WG_MSG_INITIATION:
		if (len != sizeof(struct wg_msg_initiation))
			return WG_MSG_INVALID;
		return WG_MSG_INITIATION;
	case WG_MSG_RESPONSE:
		if (len != sizeof(struct wg_msg_response))
			return WG_MSG_INVALID;
		return WG_MSG_RESPONSE;
	case WG_MSG_COOKIE_REPLY:
		if (len != sizeof(struct wg_msg_cookie_reply))
			return WG_MSG_INVALID;
		return WG_MSG_COOKIE_REPLY;
	case WG_MSG_DATA:
		if (len < WG_DATA_MIN_LEN)
			return WG_MSG_INVALID;
		return WG_MSG_DATA;
	default:
		/* Unknown type or non-zero reserved bytes. */
		return WG_MSG_INVALID;
	}
}

/**
 * wg_msg_header_len - bytes that must be linear to parse a message of @type
 * @type: a type returned by wg_msg_classify()
 *
 * Return: the whole message for handshake types, the 16-byte header for
 * data, 0 for WG_MSG_INVALID.
 */
static inline size_t wg_msg_header_len(enum wg_msg_type type)
{
	switch (type) {
	case WG_MSG_INITIATION:
		return sizeof(struct wg_msg_initiation);
	case WG_MSG_RESPONSE:
		return sizeof(struct wg_msg_response);
	case WG_MSG_COOKIE_REPLY:
		return sizeof(struct wg_msg_cookie_reply);
	case WG_MSG_DATA:
		return sizeof(struct wg_msg_data);
	default:
		return 0;
	}
}

/**
 * wg_padded_len - length of a data plaintext after padding
 * @len: inner packet length (0 for a keepalive)
 * @mtu: the device MTU
 *
 * Pads to a multiple of WG_PADDING_MULTIPLE but never past the MTU; a packet
 * already larger than the MTU (GSO segment accounting) is padded as if its
 * length were len % mtu. An @mtu of 0 means no limit.
 */
static inline unsigned int wg_padded_len(unsigned int len, unsigned int mtu)
{
	unsigned int last, padded;

	if (!mtu)
		return ALIGN(len, WG_PADDING_MULTIPLE);
	last = len > mtu ? len % mtu : len;
	padded = min(ALIGN(last, WG_PADDING_MULTIPLE), mtu);
	return len - last + padded;
}

#endif /* WG_MESSAGES_H */
