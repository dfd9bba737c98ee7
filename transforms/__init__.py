"""Normalise and validate: one module per family. Never imports flows/."""
