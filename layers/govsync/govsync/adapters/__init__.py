"""One adapter per AWS service. Each takes an optional client so tests can hand one in."""
