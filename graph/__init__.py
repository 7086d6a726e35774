"""The LangGraph state machine that runs one customer turn."""
