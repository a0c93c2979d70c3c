"""PyTorch's ``torch.nn.utils``: gradient clipping, parameter/vector conversion, weight
norm, spectral norm, padded sequences and BatchNorm population statistics."""

from minigrad.nn.utils import rnn
from minigrad.nn.utils.batchnorm_stats import recompute_batchnorm_stats
from minigrad.nn.utils.clip_grad import (
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from minigrad.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from minigrad.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm
from minigrad.nn.utils.weight_norm import remove_weight_norm, weight_norm

__all__ = [
    "rnn",
    "recompute_batchnorm_stats",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "vector_to_parameters",
    "weight_norm",
    "remove_weight_norm",
    "spectral_norm",
    "remove_spectral_norm",
]
