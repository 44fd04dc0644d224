"""Benchmarks: the bundled crypto against libsodium (crypto.py, `invoke bench-crypto`)
and tunnel throughput (tunnel.py, `invoke bench`)."""
