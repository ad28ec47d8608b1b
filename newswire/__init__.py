"""newswire."""
