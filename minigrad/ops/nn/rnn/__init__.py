"""Fused LSTM/GRU steps and a whole recurrent direction as one Function."""
