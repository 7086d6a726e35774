"""Graph nodes: each takes (state, runtime) and returns a partial state update."""
