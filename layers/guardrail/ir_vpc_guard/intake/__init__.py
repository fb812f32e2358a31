"""Intake: turn an event, a Describe answer or CLI arguments into one JobRequest."""
