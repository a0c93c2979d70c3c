"""The functional form of every layer and loss (PyTorch's ``torch.nn.functional``).

This module only re-exports; each op lives in its family's file under
:mod:`minigrad.ops`.
"""

from minigrad.ops.math.softmax import log_softmax, softmax  # noqa: F401
from minigrad.ops.math.unary import sigmoid, tanh  # noqa: F401
from minigrad.ops.nn.activation.activation import *  # noqa: F403
from minigrad.ops.nn.activation.activation_more import *  # noqa: F403
from minigrad.ops.nn.activation.inplace import relu  # noqa: F401 - F.relu takes inplace=, as PyTorch's
from minigrad.ops.nn.activation.prelu import *  # noqa: F403
from minigrad.ops.nn.attention import *  # noqa: F403
from minigrad.ops.nn.bilinear import *  # noqa: F403
from minigrad.ops.nn.conv.conv import *  # noqa: F403
from minigrad.ops.nn.conv.conv_transpose import *  # noqa: F403
from minigrad.ops.nn.conv.fold import *  # noqa: F403
from minigrad.ops.nn.distance import *  # noqa: F403
from minigrad.ops.nn.dropout.alpha_dropout import *  # noqa: F403
from minigrad.ops.nn.dropout.channel_dropout import *  # noqa: F403
from minigrad.ops.nn.dropout.dropout import *  # noqa: F403
from minigrad.ops.nn.embedding import *  # noqa: F403
from minigrad.ops.nn.interpolate import *  # noqa: F403
from minigrad.ops.nn.linear import *  # noqa: F403
from minigrad.ops.nn.loss.huber_loss import *  # noqa: F403
from minigrad.ops.nn.loss.kl_div import *  # noqa: F403
from minigrad.ops.nn.loss.likelihood_loss import *  # noqa: F403
from minigrad.ops.nn.loss.loss import *  # noqa: F403
from minigrad.ops.nn.loss.margin_loss import *  # noqa: F403
from minigrad.ops.nn.norm.norm import *  # noqa: F403
from minigrad.ops.nn.pixel_shuffle import *  # noqa: F403
from minigrad.ops.nn.pool.adaptive_max_pool import *  # noqa: F403
from minigrad.ops.nn.pool.avg_pool import *  # noqa: F403
from minigrad.ops.nn.pool.max_pool import *  # noqa: F403
from minigrad.ops.shape.pad import pad  # noqa: F401
