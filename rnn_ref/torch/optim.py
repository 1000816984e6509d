"""SGD and Adam updating trees of tensors in place with torch.optim's kernels, under
``torch.no_grad()`` (``nn.Parameter``s may be passed).

Bound from :mod:`rnn_ref._common.optim` to :data:`rnn_ref.torch._backend.TORCH`.
"""

from .._common import optim as _shared
from ._backend import TORCH

__all__ = ["SGD", "Adam"]

SGD, Adam = TORCH.bind(_shared, __name__, __all__)
