"""Performance harness for IR VPC Guard: API calls, waves, cold start and memory, measured
against emulated AWS (moto, in-process) beside a deliberately naive checker.

Not part of the test run's pass/fail: `make bench` writes the numbers to RESULTS.md.
"""
