"""SELD metrics."""
