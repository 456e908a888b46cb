"""Independent NumPy float64 references, written from the formulas (never calling lossx).

One function per loss, named like the lossx function, taking the same
arguments; a ``reduction`` keyword applies PyTorch's reduction rules.
"""
