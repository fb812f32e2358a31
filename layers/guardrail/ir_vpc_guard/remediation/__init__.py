"""Remediation: plan the safe fixes for remediable findings, gate them, apply them."""
