"""`spacelab bench`: throughput against the physics limit (timing lives here, never in tests)."""
