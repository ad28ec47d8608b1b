"""The alerter: one notification per new development, delivered exactly once in effect."""
