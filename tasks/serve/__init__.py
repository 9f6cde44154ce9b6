"""OpenAI-compatible server for the promoted bundle, with a durable feedback inbox."""
