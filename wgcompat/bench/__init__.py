"""Benchmarks of the bundled crypto (`invoke bench-crypto`)."""
