"""Field-level encryption at rest, for what would endanger someone if the database leaked."""
