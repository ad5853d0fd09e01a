"""A small reverse-mode autodiff engine: scalar `Value` (pure Python) and NumPy `Tensor`."""

from autodiff.grad_mode import is_grad_enabled, no_grad
from autodiff.gradcheck import gradcheck
from autodiff.trace import trace
from autodiff.value import Value

__all__ = ["Value", "Tensor", "no_grad", "is_grad_enabled", "trace", "gradcheck"]


def __getattr__(name):
    """Import the NumPy engine lazily, so `from autodiff import Value` works without NumPy."""
    if name == "Tensor":
        try:
            from autodiff import tensor
        except ModuleNotFoundError as missing:
            raise ImportError(
                f"autodiff.{name} needs NumPy, which this Python does not have "
                f"({missing}); the scalar Value engine works without it") from missing
        return getattr(tensor, name)
    raise AttributeError(f"module 'autodiff' has no attribute {name!r}")
