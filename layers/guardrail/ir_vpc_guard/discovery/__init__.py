"""Discovery: read exactly what the checks need, in waves, into a Snapshot."""
