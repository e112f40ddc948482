"""Benchmarks, outside the product packages: `python -m benchmarks.<name>`."""
