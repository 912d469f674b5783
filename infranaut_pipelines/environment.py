"""Set environment variables for a block and restore the previous values (or their absence) afterwards.

Used where the environment is the only channel available: dbt's subprocess inherits os.environ
(DbtCliResource has no per-call environment), and tests build definitions, which read the environment,
with other settings and must leave the process as they found it.
"""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def temporary_env(values: Mapping[str, str | None]) -> Iterator[None]:
    """``None`` unsets a variable for the duration of the block."""
    saved = {k: os.environ.get(k) for k in values}
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
