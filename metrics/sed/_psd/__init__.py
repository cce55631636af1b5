"""PSDS internals."""
