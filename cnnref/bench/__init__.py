"""Everything that times cnnref against PyTorch: the seed-network benchmark (``seed``), the
10-epoch training race (``race``) and the PyTorch twin of the network (``torch_seed``, which
imports torch and is loaded only when PyTorch is installed)."""
