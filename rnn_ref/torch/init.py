"""Weight initializers drawing from a ``torch.Generator``, on its device, bit for bit what the
matching ``torch.nn.init`` function draws.

Bound from :mod:`rnn_ref._common.init` to :data:`rnn_ref.torch._backend.TORCH`.
"""

from .._common import init as _shared
from ._backend import TORCH

__all__ = ["uniform_init", "xavier_uniform", "orthogonal", "identity", "init_params", "set_forget_bias"]

(uniform_init, xavier_uniform, orthogonal, identity, init_params,
 set_forget_bias) = TORCH.bind(_shared, __name__, __all__)
