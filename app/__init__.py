"""HTTP and command-line doors of the support agent."""
