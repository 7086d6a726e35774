"""Actions on the business backends: orders, refunds, billing, handoff."""
