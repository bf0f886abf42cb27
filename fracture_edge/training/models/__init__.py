"""Model architectures. The registry (``registry.py``) is TensorFlow-free; builders are not."""
