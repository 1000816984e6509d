"""coursekit: what the notebooks' demonstration cells share.

Shipped datasets with their loaders (``coursekit.datasets``), generated tasks
(``coursekit.tasks``) and a small training loop (``coursekit.train``). It holds no
answer to any exercise, so it travels with a graded class's bundle; the reference
package ``rnn_ref`` does not. Submodules are imported on demand: importing this
package imports neither torch nor matplotlib.
"""
