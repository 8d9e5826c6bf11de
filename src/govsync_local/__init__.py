"""govsync's local side: the embedded local AWS (moto), the CLI, and the template tooling."""
