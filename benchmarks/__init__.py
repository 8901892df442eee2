"""Benchmarks of the stream and memory bridges against raw pyzmq, run as ``python -m benchmarks``."""
