// SPDX-License-Identifier: GPL-2.0
/*
 * selftest/messages.c - self-test of wg_msg_classify() and wg_padded_len().
 * No locking: runs single-threaded at module init.
 */
#include "../compat.h"
#include <linux/kernel.h>
#include <linux/string.h>
#include "../messages.h"
#include "selftest.h"

#define CHECK(cond) WG_CHECK("messages", fails, cond)

static u8 wg_st_buf[200];
static unsigned int wg_st_no_mtu;

static enum wg_msg_type classify_as(u8 type, size_t len)
{
	memset(wg_st_buf, 0, sizeof(wg_st_buf));
	wg_st_buf[0] = type;
	return wg_msg_classify(wg_st_buf, len);
}

bool wg_selftest_messages(void)
{
	unsigned int fails = 0;

	/* Exact lengths for handshake messages. */
	CHECK(classify_as(1, 148) == WG_MSG_INITIATION);
	CHECK(classify_as(1, 147) == WG_MSG_INVALID);
	CHECK(classify_as(1, 149) == WG_MSG_INVALID);
	CHECK(classify_as(2, 92) == WG_MSG_RESPONSE);
	CHECK(classify_as(2, 93) == WG_MSG_INVALID);
	CHECK(classify_as(3, 64) == WG_MSG_COOKIE_REPLY);
	CHECK(classify_as(3, 63) == WG_MSG_INVALID);
	/* Data: at least header + tag. */
	CHECK(classify_as(4, 32) == WG_MSG_DATA);
	CHECK(classify_as(4, 200) == WG_MSG_DATA);
	CHECK(classify_as(4, 31) == WG_MSG_INVALID);
	/* Unknown types, short buffers. */
	CHECK(classify_as(0, 148) == WG_MSG_INVALID);
	CHECK(classify_as(5, 64) == WG_MSG_INVALID);
	CHECK(classify_as(1, 3) == WG_MSG_INVALID);
	CHECK(classify_as(4, 0) == WG_MSG_INVALID);
	/* Non-zero reserved bytes. */
	memset(wg_st_buf, 0, sizeof(wg_st_buf));
	wg_st_buf[0] = 1;
	wg_st_buf[3] = 1;
	CHECK(wg_msg_classify(wg_st_buf, 148) == WG_MSG_INVALID);
	wg_st_buf[0] = 4;
	wg_st_buf[3] = 0;
	wg_st_buf[1] = 0x80;
	CHECK(wg_msg_classify(wg_st_buf, 64) == WG_MSG_INVALID);

	/* Padding: multiple of 16, never past the MTU, none for keepalive. */
	CHECK(wg_padded_len(0, 1420) == 0);
	CHECK(wg_padded_len(1, 1420) == 16);
	CHECK(wg_padded_len(84, 1420) == 96);
	CHECK(wg_padded_len(96, 1420) == 96);
	CHECK(wg_padded_len(1419, 1420) == 1420);
	CHECK(wg_padded_len(1420, 1420) == 1420);
	CHECK(wg_padded_len(1413, 1414) == 1414);
	CHECK(wg_padded_len(1500, 1420) == 1420 + 80);
	/* No MTU known (0): plain alignment. Not a constant, for sparse. */
	CHECK(wg_padded_len(17, READ_ONCE(wg_st_no_mtu)) == 32);

	return wg_selftest_report("messages", !fails);
}
