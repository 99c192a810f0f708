"""The wire core: keys, messages, bodies, documents, profiles, states, calls and reports, as bytes.

Pure and stateless; it imports nothing else of mockhm."""
