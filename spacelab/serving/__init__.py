"""Serving episodes to agents that live elsewhere: an HTTP server and an MCP tool server."""
