"""Training on real data: the minibatch loop (``fit``), checkpoints, metrics, plots and the
datasets (``cnnref.training.data``)."""
