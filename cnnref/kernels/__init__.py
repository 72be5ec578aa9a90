"""The compiled kernels: typed Cython loops (fused float32/float64, no bounds checks, the GIL
released), one module per topic of the functional API, each closed-form gradient included.

Nothing here checks its arguments: the functional API (``cnnref.conv``, ``cnnref.pool``, …)
validates them and calls in.
"""
