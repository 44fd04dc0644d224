// SPDX-License-Identifier: GPL-2.0
/*
 * udp_blast: send a file of fixed-size datagrams to one UDP address as fast
 * as the guest's kernel takes them (sendmmsg, a burst per call), and count
 * the answers. Guest side of the flood test in
 * vmtests/wireguard/test_hostile.py; the harness compiles it on the host
 * (Topology.put_compiled) and copies the binary into the guest, so the
 * attacker's rate no longer depends on how fast the guest runs Python.
 *
 * It sends in rounds at real-time priority (see main()), so that the
 * datagrams of a round are all queued at a receiver on the same CPUs before
 * it handles any of them.
 *
 * Usage: udp_blast HOST PORT MSGFILE MSGLEN EXPECT_LEN EXPECT_HEAD_HEX
 *                  SAMPLE_OUT STATE_PREFIX MAX_SECONDS [ROUND [ROUNDS]]
 *   MSGFILE       datagrams of MSGLEN bytes each, back to back, sent in turn
 *                 and over again
 *   EXPECT_*      an answer of EXPECT_LEN bytes starting with these bytes is
 *                 "expected"; every other answer counts as "other"
 *   SAMPLE_OUT    the first 64 expected answers, back to back
 *   STATE_PREFIX  STATE_PREFIX.replied is created at the first expected
 *                 answer; the run ends when STATE_PREFIX.stop exists or
 *                 after MAX_SECONDS
 *   ROUND         datagrams per round (default 768), ROUNDS how many rounds
 *                 at most (default: no limit)
 * Prints "sent=N replies=N other=N" and exits 0; 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BURST	256	/* datagrams per sendmmsg() */
#define ROUND	768	/* datagrams sent before each pause, by default */
#define SAMPLE	64
#define MAXDGRAM 2048

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int unhex(const char *hex, unsigned char *out, size_t max)
{
	size_t n = strlen(hex) / 2, i;

	if (strlen(hex) % 2 || n > max)
		return -1;
	for (i = 0; i < n; i++)
		if (sscanf(hex + 2 * i, "%2hhx", &out[i]) != 1)
			return -1;
	return (int)n;
}

static unsigned char *read_file(const char *path, size_t *len)
{
	unsigned char *buf = NULL;
	size_t cap = 0, used = 0;
	ssize_t got;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	for (;;) {
		if (used == cap) {
			cap = cap ? 2 * cap : 1 << 16;
			buf = realloc(buf, cap);
			if (!buf)
				break;
		}
		got = read(fd, buf + used, cap - used);
		if (got <= 0)
			break;
		used += got;
	}
	close(fd);
	*len = used;
	return buf;
}

struct tally {
	unsigned long replies, other;
	unsigned char head[16];
	int head_len;
	size_t expect_len;
	FILE *sample;
	const char *replied_flag;
};

static void drain(int sock, struct tally *t)
{
	static unsigned char bufs[BURST][MAXDGRAM];
	struct mmsghdr msgs[BURST];
	struct iovec iov[BURST];
	int got, i;

	for (;;) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < BURST; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = MAXDGRAM;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		got = recvmmsg(sock, msgs, BURST, MSG_DONTWAIT, NULL);
		if (got <= 0)
			return;
		for (i = 0; i < got; i++) {
			size_t len = msgs[i].msg_len;

			if (len != t->expect_len ||
			    memcmp(bufs[i], t->head, t->head_len)) {
				t->other++;
				continue;
			}
			if (t->replies++ < SAMPLE)
				fwrite(bufs[i], 1, len, t->sample);
			if (t->replies == 1)
				fclose(fopen(t->replied_flag, "w"));
		}
	}
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
	struct mmsghdr msgs[BURST];
	struct iovec iov[BURST];
	unsigned long sent = 0;
	size_t filelen, msglen, count, next = 0;
	unsigned char *file;
	struct tally t = { 0 };
	char stop_flag[4096], replied_flag[4096];
	double deadline, end;
	int sock, i, rcvbuf = 1 << 22, sndbuf = 1 << 26, rt_refused = 0;
	long round_len, rounds;

	if (argc < 10 || argc > 12) {
		fprintf(stderr, "usage: %s HOST PORT MSGFILE MSGLEN EXPECT_LEN EXPECT_HEAD_HEX SAMPLE_OUT STATE_PREFIX MAX_SECONDS [ROUND [ROUNDS]]\n",
			argv[0]);
		return 2;
	}
	round_len = argc > 10 ? strtol(argv[10], NULL, 10) : ROUND;
	rounds = argc > 11 ? strtol(argv[11], NULL, 10) : -1;
	msglen = strtoul(argv[4], NULL, 10);
	t.expect_len = strtoul(argv[5], NULL, 10);
	t.head_len = unhex(argv[6], t.head, sizeof(t.head));
	file = read_file(argv[3], &filelen);
	if (!file || !msglen || msglen > MAXDGRAM || filelen % msglen ||
	    !filelen || t.head_len < 0) {
		fprintf(stderr, "udp_blast: %s is not a whole number of %zu-byte datagrams, or a bad EXPECT\n",
			argv[3], msglen);
		return 2;
	}
	count = filelen / msglen;
	if (getaddrinfo(argv[1], argv[2], &hints, &ai)) {
		fprintf(stderr, "udp_blast: cannot resolve %s port %s\n", argv[1], argv[2]);
		return 2;
	}
	sock = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (sock < 0 || connect(sock, ai->ai_addr, ai->ai_addrlen)) {
		perror("udp_blast: socket");
		return 2;
	}
	/* Room for whole rounds (root may exceed the sysctl maximum). */
	if (setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (setsockopt(sock, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)))
		setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	t.sample = fopen(argv[7], "w");
	if (!t.sample) {
		perror(argv[7]);
		return 2;
	}
	snprintf(stop_flag, sizeof(stop_flag), "%s.stop", argv[8]);
	snprintf(replied_flag, sizeof(replied_flag), "%s.replied", argv[8]);
	t.replied_flag = replied_flag;
	deadline = now() + strtod(argv[9], NULL);

	/*
	 * A round of ROUND datagrams goes out at real-time priority, so that
	 * on the guest's CPU no ordinary task, the receiver's workers
	 * included, runs before the round is handed to the kernel: the round
	 * is queued at the receiver before any of it is processed, however
	 * fast or slow the guest is. Then a pause at ordinary priority lets
	 * the receiver work and the answers come back.
	 */
	while (now() < deadline && !exists(stop_flag) && rounds--) {
		struct sched_param rt = { .sched_priority = 1 };
		struct sched_param normal = { .sched_priority = 0 };
		struct pollfd pfd = { .fd = sock, .events = POLLIN };
		int in_round = 0;

		if (sched_setscheduler(0, SCHED_FIFO, &rt))
			rt_refused = 1;
		while (in_round < round_len) {
			int want = round_len - in_round < BURST ?
				   round_len - in_round : BURST;

			memset(msgs, 0, sizeof(msgs));
			for (i = 0; i < want; i++) {
				iov[i].iov_base = file + msglen * ((next + i) % count);
				iov[i].iov_len = msglen;
				msgs[i].msg_hdr.msg_iov = &iov[i];
				msgs[i].msg_hdr.msg_iovlen = 1;
			}
			i = sendmmsg(sock, msgs, want, 0);
			if (i > 0) {
				sent += i;
				next += i;
				in_round += i;
			} else if (errno != ECONNREFUSED && errno != ENOBUFS &&
				   errno != EAGAIN) {
				perror("udp_blast: sendmmsg");
				goto done;
			} else {
				in_round += want;	/* dropped: on to the next */
			}
		}
		sched_setscheduler(0, SCHED_OTHER, &normal);
		while (poll(&pfd, 1, 200) > 0)
			drain(sock, &t);
	}
done:
	/* Answers to the last bursts may still be on their way. */
	end = now() + 1.0;
	while (now() < end) {
		drain(sock, &t);
		usleep(10000);
	}
	fclose(t.sample);
	if (rt_refused)
		fprintf(stderr, "udp_blast: real-time priority refused; rounds may interleave with the receiver\n");
	printf("sent=%lu replies=%lu other=%lu\n", sent, t.replies, t.other);
	return 0;
}
