"""Typed errors: one class per RecServe error code, each carrying the reply's code, message and ids."""


class RecServeError(Exception):
    """The gateway answered with an error. `code` is the wire name (for example "NOT_FOUND")."""

    code = "ERROR_CODE_UNSPECIFIED"

    def __init__(self, message, ids=(), request_id=0):
        super().__init__(f"{self.code}: {message}")
        self.message = message
        self.ids = list(ids)
        self.request_id = request_id


class BadRequest(RecServeError):
    code = "BAD_REQUEST"


class NotFound(RecServeError):
    code = "NOT_FOUND"


class Overloaded(RecServeError):
    """Over a limit (the message names which); retry with backoff."""

    code = "OVERLOADED"


class DeadlineExceeded(RecServeError):
    code = "DEADLINE_EXCEEDED"


class Unavailable(RecServeError):
    code = "UNAVAILABLE"


class InternalError(RecServeError):
    code = "INTERNAL"


class ModelVersionUnavailable(RecServeError):
    code = "MODEL_VERSION_UNAVAILABLE"


class ClientTimeout(Exception):
    """No reply came in time: the gateway is down, unreachable, or refused the CURVE handshake."""


BY_CODE = {
    cls.code: cls
    for cls in (BadRequest, NotFound, Overloaded, DeadlineExceeded, Unavailable, InternalError, ModelVersionUnavailable)
}


def from_reply(error, request_id):
    """The exception for a reply's Error message."""
    from ._proto import recserve_pb2

    name = recserve_pb2.ErrorCode.Name(error.code) if error.code in recserve_pb2.ErrorCode.values() else str(error.code)
    cls = BY_CODE.get(name, RecServeError)
    return cls(error.message, ids=error.ids, request_id=request_id)
