"""Python client for the RecServe gateway.

    from recserve import RecServeClient
    with RecServeClient("tcp://127.0.0.1:5555") as client:
        result = client.recommend("user-1", history=[1, 2, 3], candidates=[10, 11, 12], k=2)
        print(result.items, result.scores, result.model_version)
"""

from .client import RecServeClient, Recommendation
from .errors import (
    BadRequest,
    ClientTimeout,
    DeadlineExceeded,
    InternalError,
    ModelVersionUnavailable,
    NotFound,
    Overloaded,
    RecServeError,
    Unavailable,
)

__all__ = [
    "RecServeClient",
    "Recommendation",
    "RecServeError",
    "BadRequest",
    "NotFound",
    "Overloaded",
    "DeadlineExceeded",
    "Unavailable",
    "InternalError",
    "ModelVersionUnavailable",
    "ClientTimeout",
]
