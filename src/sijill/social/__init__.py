"""The unified social register (placeholder facade while the tables are written)."""
