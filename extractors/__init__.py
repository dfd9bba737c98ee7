"""Fetch, snapshot and parse: one module per source. Never imports warehouse/ or flows/."""
