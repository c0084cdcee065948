"""The reference semantics of workerjob: pure data and pure functions."""
