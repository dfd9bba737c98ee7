"""Tables, migrations, engine factory and the idempotent loader. Imports neither extractors/ nor flows/."""
