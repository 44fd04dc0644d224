# Names the dead-code check (tests/test_dead_code.py, and `vulture` run from the top folder)
# must treat as used, because their user is out of its sight: a library that reads an
# attribute, a dict or JSON key read by subscript, a test under tests/, a fixture requested
# for its side effect. Every entry says who uses it. This file is never imported: vulture and
# the test read it as source, so an entry is a bare name (`name`) or an attribute (`_.name`).
#
# pytest hooks (pytest_*), pytest fixtures and invoke tasks need no entry: pyproject.toml's
# [tool.vulture] ignores those as a class, and the test checks that every fixture is requested.

# pexpect.spawn reads it: where the child's output is copied (wgcompat/vm/launcher.py sets the
# shell log, wgcompat/vm/console.py unsets it before handing the console to the user)
_.logfile_read

# keys of results.json (the StoredProbe/StoredResults TypedDicts of wgcompat/compat/generator.py):
# generate() reads p["has_log"]; probe_seconds is kept in the file for people reading a cache entry
has_log
probe_seconds

# CompatResult.cache_entry: a field of the contract (docs/architecture.md, Contract 3), read by
# tests/compat/test_cache.py
cache_entry

# wgcompat/vm/klog.py: the report kinds find_reports() knows; tests/vm/test_klog.py
# checks that each one has a sample kernel log
KINDS

# vmtests/lib/topology.py Counters.rx_dropped: compared by test_queues.py's settled() (==) and,
# with Counters.raw (every counter of the interface), printed in the counters' repr by
# test_throughput.py's failure messages
rx_dropped
_.raw

# wgcompat/image/base.py BaseImage.debs: the .deb files that went into the image, read by
# tests/image/test_base.py to check the dependency closure
_.debs

# vmtests/lib/guest_wgnl.py: the attribute numbers of include/uapi/linux/wireguard.h are unpacked
# from range(), so each name fixes the number of the next; these ones no case sends
WGDEVICE_A_PUBLIC_KEY
WGDEVICE_A_FWMARK
WGPEER_A_PRESHARED_KEY
WGPEER_A_ENDPOINT
WGPEER_A_LAST_HANDSHAKE_TIME
WGPEER_A_RX_BYTES
WGPEER_A_TX_BYTES

# vmtests/wireguard/test_timers.py: its tests request the fixture for its side effect (the
# module's time_divisor set for the test) and never read the value
scaled_time

# ---------------------------------------------------------------------------------------------

# tarfile.TarInfo fields that tarfile reads when it writes the entry: wgcompat/package/tarball.py
# sets them so the archive's entries are owned by root whoever packages
_.uid
_.gid
_.uname
_.gname

# vmtests/lib/topology.py DeviceState.fwmark: the fourth column of `wg show dump`'s device line,
# which parse_dump keeps with the others; read by tests/test_topology_parsers.py
_.fwmark

# Arch.qemu_user: tests/crypto/conftest.py runs the bundled crypto built for s390x and arm64
# under it (tests/crypto/remote.py)
_.qemu_user

# wgcompat/bench/crypto.py has_x86_simd: tests/crypto/test_bench.py and test_constant_time.py
# ask it which ChaCha20 implementations the host builds
has_x86_simd
