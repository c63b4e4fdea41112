"""Physics backends, the exploration environment, evaluation runner and CLI."""
