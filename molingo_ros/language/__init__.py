"""Operators' words: parsing commands into plans, the skills the model knows, and grounding."""
