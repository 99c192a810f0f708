"""Validation of messages against our XSDs (the ``*.xsd`` beside this file) and upstream's drift.

May import: wire."""
