"""Training: the adaptation phase (L_CLM + L_ReLU) and contrastive CSPLADE training, on accelerate."""
