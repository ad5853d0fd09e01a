"""Whether operations record a graph: one switch shared by Value and Tensor, as torch.no_grad is.

Pure Python (no NumPy), so the scalar engine and the browser's Python without NumPy have it too.
Engines read `enabled` on every operation; only `no_grad` changes it.
"""

import functools

enabled = True  # read by Value and Tensor ops; set only through no_grad


def is_grad_enabled():
    """True unless inside no_grad(), as torch.is_grad_enabled()."""
    return enabled


class no_grad:
    """Operations inside record no graph: every result is a constant (requires_grad False, no inputs).

    A context manager (`with no_grad(): ...`) and a decorator (`@no_grad()` or `@no_grad`), as in
    PyTorch. Nesting restores the mode each level found, also when the block raises.
    """

    __slots__ = ("_outer",)

    def __new__(cls, func=None):
        """`no_grad()` gives a context manager; `no_grad(func)` (the bare decorator) the decorated func."""
        manager = super().__new__(cls)
        return manager if func is None else manager(func)

    def __enter__(self):
        global enabled
        self._outer = enabled
        enabled = False
        return self

    def __exit__(self, *exc_info):
        global enabled
        enabled = self._outer
        return False

    def __call__(self, func):
        """Decorate func so each call runs under a no_grad() of its own (a recursive call cannot clobber the outer one)."""
        if not callable(func):
            raise TypeError(f"no_grad decorates a function, got {type(func).__name__}: {func!r:.60}")
        code = getattr(func, "__code__", None)
        if code is not None and code.co_flags & _SUSPENDING:
            raise TypeError(f"no_grad cannot decorate {func.__qualname__}: it is a generator or coroutine "
                            "function, whose body runs after the call returns; use `with no_grad():` inside it")

        @functools.wraps(func)
        def without_grad(*args, **kwargs):
            with no_grad():
                return func(*args, **kwargs)
        return without_grad


# inspect.CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR, without importing inspect at start-up.
_SUSPENDING = 0x20 | 0x80 | 0x200
