"""Neural-network modules: :class:`Module`, layers, normalization, losses, init.

Layers are thin: they hold parameters and buffers and call the functional ops in
:mod:`minigrad.nn.functional`, where all the math lives.
"""

from minigrad.nn import functional, init, utils  # noqa: F401
from minigrad.nn.activation import *  # noqa: F403
from minigrad.nn.activation_more import *  # noqa: F403
from minigrad.nn.adaptive_max_pool import *  # noqa: F403
from minigrad.nn.attention import *  # noqa: F403
from minigrad.nn.containers import *  # noqa: F403
from minigrad.nn.conv import *  # noqa: F403
from minigrad.nn.conv_transpose import *  # noqa: F403
from minigrad.nn.distance import *  # noqa: F403
from minigrad.nn.dropout import *  # noqa: F403
from minigrad.nn.embedding import *  # noqa: F403
from minigrad.nn.fold import *  # noqa: F403
from minigrad.nn.likelihood_loss import *  # noqa: F403
from minigrad.nn.linear import *  # noqa: F403
from minigrad.nn.loss import *  # noqa: F403
from minigrad.nn.margin_loss import *  # noqa: F403
from minigrad.nn.module import *  # noqa: F403
from minigrad.nn.norm import *  # noqa: F403
from minigrad.nn.norm_sample import *  # noqa: F403
from minigrad.nn.padding import *  # noqa: F403
from minigrad.nn.parameter import *  # noqa: F403
from minigrad.nn.parameter_containers import *  # noqa: F403
from minigrad.nn.pixel_shuffle import *  # noqa: F403
from minigrad.nn.pool import *  # noqa: F403
from minigrad.nn.rnn import *  # noqa: F403
from minigrad.nn.rnn_cell import *  # noqa: F403
from minigrad.nn.rnn_norm import *  # noqa: F403
from minigrad.nn.sync_batchnorm import *  # noqa: F403
from minigrad.nn.transformer import *  # noqa: F403
from minigrad.nn.upsample import *  # noqa: F403
