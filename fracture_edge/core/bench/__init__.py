"""Bench: accuracy, size and latency of models on runtimes, one row per (model, runtime, threads)."""
