"""Kafka transport: producing contract records and reading them back."""
