"""Benchmarks behind `osca bench ...`: each measures a speed goal and reports it (never asserted in tests)."""
