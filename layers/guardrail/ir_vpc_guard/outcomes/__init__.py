"""After delivery: each checked job's real end compared with what the guardrail predicted."""
