"""Generated traffic: the Faker provider, hostile messages, Hypothesis strategies and their hook.

May import: wire, schemas."""
