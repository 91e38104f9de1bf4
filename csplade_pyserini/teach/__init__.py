"""teach: pseudo-queries, teacher scores and the dev split (the training data before training)."""
