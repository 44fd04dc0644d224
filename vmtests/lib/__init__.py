"""Helpers shared by the VM suites: topologies, guest commands, polling."""
