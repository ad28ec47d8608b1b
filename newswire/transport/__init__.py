"""Kafka transport: the one idempotent producer, topic administration, ``newswire publish``."""
