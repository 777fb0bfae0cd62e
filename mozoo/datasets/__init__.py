"""Dataset loaders. Each returns a list of chat examples: ``{"messages": [...]}``."""
