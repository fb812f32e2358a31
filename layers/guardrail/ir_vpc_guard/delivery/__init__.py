"""Delivery: the report, its renderings and where it goes (SNS, Security Hub, logs, metrics)."""
