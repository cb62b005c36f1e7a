"""Benchmarks: scripts run by hand, importable by tests for their synthetic inputs."""
