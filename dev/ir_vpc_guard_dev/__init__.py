"""Development tools kept out of the Lambda layer: the demo, its world, the catalogue table."""
