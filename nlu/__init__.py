"""Natural-language understanding for the intent node: intents, entities."""
