"""Step 1, identify assets: inventory the sources, classify, filter junk, scrub, de-duplicate."""
