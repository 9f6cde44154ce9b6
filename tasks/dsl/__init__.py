"""Renderers and strict validators for the LLM-friendly formats ("DSLs") the platform trains on."""
