"""Sound event detection metrics."""
