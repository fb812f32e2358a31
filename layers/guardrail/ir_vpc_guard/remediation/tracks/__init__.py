"""One track per target kind: the re-read its fixes share, then their writes."""
