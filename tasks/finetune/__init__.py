"""Step 3, MVP fine-tune: LoRA on the base model, loss on the answer tokens only."""
