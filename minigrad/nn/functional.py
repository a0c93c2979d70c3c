"""The functional form of every layer and loss (PyTorch's ``torch.nn.functional``).

This module only re-exports; each op lives in its family's file under
:mod:`minigrad.ops`.
"""

from minigrad.ops.activation import *  # noqa: F403
from minigrad.ops.activation_more import *  # noqa: F403
from minigrad.ops.adaptive_max_pool import *  # noqa: F403
from minigrad.ops.alpha_dropout import *  # noqa: F403
from minigrad.ops.attention import *  # noqa: F403
from minigrad.ops.avg_pool import *  # noqa: F403
from minigrad.ops.bilinear import *  # noqa: F403
from minigrad.ops.channel_dropout import *  # noqa: F403
from minigrad.ops.conv import *  # noqa: F403
from minigrad.ops.conv_transpose import *  # noqa: F403
from minigrad.ops.distance import *  # noqa: F403
from minigrad.ops.dropout import *  # noqa: F403
from minigrad.ops.embedding import *  # noqa: F403
from minigrad.ops.fold import *  # noqa: F403
from minigrad.ops.huber_loss import *  # noqa: F403
from minigrad.ops.inplace import relu  # noqa: F401 - F.relu takes inplace=, as PyTorch's
from minigrad.ops.interpolate import *  # noqa: F403
from minigrad.ops.kl_div import *  # noqa: F403
from minigrad.ops.likelihood_loss import *  # noqa: F403
from minigrad.ops.linear import *  # noqa: F403
from minigrad.ops.loss import *  # noqa: F403
from minigrad.ops.margin_loss import *  # noqa: F403
from minigrad.ops.max_pool import *  # noqa: F403
from minigrad.ops.norm import *  # noqa: F403
from minigrad.ops.pad import pad  # noqa: F401
from minigrad.ops.pixel_shuffle import *  # noqa: F403
from minigrad.ops.prelu import *  # noqa: F403
from minigrad.ops.softmax import log_softmax, softmax  # noqa: F401
from minigrad.ops.unary import sigmoid, tanh  # noqa: F401
