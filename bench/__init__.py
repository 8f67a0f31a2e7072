"""Benchmarks (``make bench``). Not part of the app: nothing in the project imports this."""
