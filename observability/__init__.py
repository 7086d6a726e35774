"""Logs, metrics and traces: how operators see what the bot does."""
