"""verify: the gradient oracle for cnnref — naive index sums, finite differences, complex step."""
