"""Help-centre knowledge: ingestion into Chroma and retrieval with citations."""
