"""The pure domain: no AWS imports, no I/O."""
