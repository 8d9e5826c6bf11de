"""The governance API: people read records, decide stages and use cases, export evidence."""
