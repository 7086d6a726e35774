"""Reply composers: the offline extractive default and any OpenAI-compatible endpoint."""
