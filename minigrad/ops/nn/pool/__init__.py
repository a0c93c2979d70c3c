"""Max, average and adaptive pooling, and the pooling geometry they share."""
