"""Step 4, metrics: generate on the eval split with base and tuned model and score per task."""
