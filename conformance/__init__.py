"""Checks any implementation of SPEC.md against the model."""
