"""The one error type the routes raise: an HTTP status with a one-line message (sent as ``{"error": ...}``)."""

from __future__ import annotations

import re

# The library's messages name CLI flags ("--keep: ..."); the API's fields have the plain names.
_FLAG = re.compile(r"--(keep|joints|trajectory|task|text|labels|label-file|decode-steps|cfg-scale|steps|cfg|sampler|ode-steps|guidance|"
                   r"num-samples|length|top-k|batch-size|device|checkpoint)\b")


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = one_line(message)
        self.headers = headers or {}


def one_line(text: object) -> str:
    """A message on one line, CLI flag names turned into the API's field names, at most 500 characters."""
    msg = " ".join(str(text).split())
    msg = _FLAG.sub(lambda m: m.group(1).replace("-", "_"), msg)
    return msg if len(msg) <= 500 else msg[:497] + "..."
