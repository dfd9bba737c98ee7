"""sanctrace: figures about Russia's war against Ukraine and the sanctions around it, with provenance."""

__version__ = "0.1.0"
