"""Layers and networks on top of the functional API: layer objects with forward/backward and
explicit parameter and gradient dicts (``layers``), ``Sequential`` and the notes' ``seed_cnn``
(``network``), initializers (``init``) and optimizers (``optim``). The public names are exported
by the ``cnnref`` package itself."""
