"""The oracle's cases, one module per topic of cnnref's functional API.

``verify/cases/<topic>.py`` holds, for the functions of ``cnnref/<topic>.py`` (conv, pool, linear,
activations, output, gradients, multilayer), the registry builders and settings and the mutants
their cases must reject; their naive twins are in ``verify/naive/<topic>.py``.
:mod:`verify.registry` and :mod:`verify.mutants` assemble them; :mod:`verify.cases.case` says what
a case is; the generator of every case is :func:`verify.registry.cases`.
"""
