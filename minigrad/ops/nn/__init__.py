"""The neural-network ops behind ``minigrad.nn.functional``: one folder per layer family,
single-file ops (linear, embedding, attention, ...) at this level."""
