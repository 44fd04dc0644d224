"""A run of the harness, planned once: a request resolved into pinned artefacts (stages.py,
plan.py), the pytest run that loads them, and the CI plan read from ci.toml (ci.py)."""
