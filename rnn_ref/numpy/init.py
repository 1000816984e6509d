"""Weight initializers drawing from a ``np.random.Generator`` (in float64, cast to ``dtype``).

Bound from :mod:`rnn_ref._common.init` to :data:`rnn_ref.numpy._backend.NUMPY`.
"""

from .._common import init as _shared
from ._backend import NUMPY

__all__ = ["uniform_init", "xavier_uniform", "orthogonal", "identity", "init_params", "set_forget_bias"]

(uniform_init, xavier_uniform, orthogonal, identity, init_params,
 set_forget_bias) = NUMPY.bind(_shared, __name__, __all__)
