"""Data shipped with spacelab (object catalog lives in scenes.catalog; fixed suites are generated)."""
