"""Prometheus metrics of the alerter, in the consumer runtime's registry (served with it)."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram

_DELIVERY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


class AlerterMetrics:
    """Alerts decided and deliveries settled.

    - ``newswire_alerter_alerts_total{kind}``: notifications recorded (``new`` / ``update``)
    - ``newswire_alerter_developments_created_total``: developments founded
    - ``newswire_alerter_deliveries_total{channel,status}``: deliveries settled (sent / failed)
    - ``newswire_alerter_delivery_seconds{channel}``: notification created -> delivered
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.alerts = Counter(
            "newswire_alerter_alerts", "Notifications recorded.", ["kind"], registry=self.registry
        )
        self.developments = Counter(
            "newswire_alerter_developments_created",
            "Developments founded.",
            registry=self.registry,
        )
        self.deliveries = Counter(
            "newswire_alerter_deliveries",
            "Deliveries settled.",
            ["channel", "status"],
            registry=self.registry,
        )
        self.delivery_seconds = Histogram(
            "newswire_alerter_delivery_seconds",
            "Seconds from a notification's creation to its delivery.",
            ["channel"],
            buckets=_DELIVERY_BUCKETS,
            registry=self.registry,
        )

    def delivered(self, channel_type: str, created_at: datetime, sent_at: datetime) -> None:
        """Count one delivery and observe its latency."""
        self.deliveries.labels(channel_type, "sent").inc()
        self.delivery_seconds.labels(channel_type).observe(
            max(0.0, (sent_at - created_at).total_seconds())
        )
