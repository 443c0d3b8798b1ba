"""Benchmark scripts (run with python -m; pytest does not collect them)."""
