"""Evaluation suites and their CLIs."""
