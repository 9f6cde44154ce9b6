"""Step 2, language modeling: render assets into DSL text and build instruction datasets."""
