"""Step 5, integration export: a versioned, checksummed bundle for IDE tools and the server."""
