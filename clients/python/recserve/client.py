"""The gateway client: one DEALER socket, one frame per request and per reply (docs/wire.md)."""

import dataclasses
import random
import time

import zmq

from . import errors
from ._proto import recserve_pb2
from .keys import read_key_file


@dataclasses.dataclass
class Recommendation:
    """A successful reply. `timings` maps a tier name to microseconds."""

    request_id: int
    items: list
    scores: list
    model_version: str
    timings: dict
    scorer_slices: int
    history_cache_hit: bool
    degraded: bool
    retrieval: str = ""  # where the candidates came from: "given", "all_items" or "generative"
    generated: int = 0  # for generative retrieval: how many items were generated, then scored


class RecServeClient:
    """Talks to the gateway's client endpoint. Not thread-safe: one client per thread.

    With CURVE, pass the gateway's public key file (`curve_server_key`, NAME.pub) and this client's
    key file (`curve_key`, NAME.key with its secret); the gateway must list this client's public key.
    """

    def __init__(self, endpoint="tcp://127.0.0.1:5555", *, timeout_ms=2000, curve_server_key=None, curve_key=None):
        if (curve_server_key is None) != (curve_key is None):
            raise ValueError("curve_server_key and curve_key go together")
        self.endpoint = endpoint
        self.timeout_ms = timeout_ms
        self._context = zmq.Context.instance()
        self._socket = self._context.socket(zmq.DEALER)
        self._socket.setsockopt(zmq.LINGER, 0)
        if curve_key is not None:
            server_public, _ = read_key_file(curve_server_key)
            public, secret = read_key_file(curve_key)
            if secret is None:
                raise ValueError(f"{curve_key} has no secret-key line; give the NAME.key file, not NAME.pub")
            self._socket.curve_serverkey = server_public
            self._socket.curve_publickey = public
            self._socket.curve_secretkey = secret
        self._socket.connect(endpoint)
        self._next_id = random.getrandbits(56) + 1

    def close(self):
        self._socket.close(linger=0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def recommend(self, user, history, candidates=None, k=10, *, retrieval=None, beam=0, timeout_ms=None):
        """The top `k` of `candidates` (or of every item when None) for a user with this history
        (item ids, oldest first). Without candidates, `retrieval` may be "all_items" or
        "generative" (generate `beam` items, 0 for the gateway's default, and rank those; see
        docs/generative.md); None lets the gateway choose. Raises a RecServeError subclass on an
        error reply and ClientTimeout when no reply comes within the timeout (which is also the
        request's deadline)."""
        result = self.recommend_many([(user, history, candidates, k, retrieval, beam)], timeout_ms=timeout_ms)[0]
        if isinstance(result, Exception):
            raise result
        return result

    def recommend_many(self, requests, *, timeout_ms=None):
        """Pipelines several requests on this connection; returns, in order, a Recommendation or the
        exception for each. `requests` holds (user, history, candidates, k) tuples, optionally
        followed by retrieval and beam as for `recommend`."""
        timeout_ms = self.timeout_ms if timeout_ms is None else timeout_ms
        deadline_us = int((time.time() + timeout_ms / 1000) * 1_000_000)
        order = []
        modes = {None: recserve_pb2.RETRIEVAL_DEFAULT, "all_items": recserve_pb2.RETRIEVAL_ALL_ITEMS,
                 "generative": recserve_pb2.RETRIEVAL_GENERATIVE}
        for request in requests:
            user, history, candidates, k = request[:4]
            retrieval, beam = (tuple(request[4:]) + (None, 0))[:2]
            if retrieval not in modes:
                raise ValueError(f"retrieval is None, 'all_items' or 'generative', not {retrieval!r}")
            request_id = self._next_id
            self._next_id += 1
            message = recserve_pb2.RecommendRequest(user_id=user, history=list(history), k=k)
            message.header.request_id = request_id
            message.header.deadline_unix_micros = deadline_us
            if candidates is not None:
                message.candidates.extend(candidates)
            elif retrieval is None:
                message.all_items = True
            else:
                message.retrieval = modes[retrieval]
                message.beam = beam
            self._socket.send(message.SerializeToString())
            order.append(request_id)
        results = {}
        give_up = time.monotonic() + timeout_ms / 1000 + 1.0
        while len(results) < len(order):
            remaining = give_up - time.monotonic()
            if remaining <= 0 or not self._socket.poll(int(remaining * 1000)):
                break
            frames = self._socket.recv_multipart()
            if len(frames) != 1:
                continue
            reply = recserve_pb2.RecommendReply()
            reply.ParseFromString(frames[0])
            if reply.request_id in order:
                results[reply.request_id] = self._result(reply)
            elif reply.request_id == 0 and reply.HasField("error"):
                # The gateway could not read the request at all, so it has no id to answer with.
                for request_id in order:
                    results.setdefault(request_id, errors.from_reply(reply.error, 0))
        missing = errors.ClientTimeout(f"no reply from the gateway at {self.endpoint} within {timeout_ms + 1000} ms")
        return [results.get(request_id, missing) for request_id in order]

    @staticmethod
    def _result(reply):
        if reply.HasField("error") and reply.error.code != recserve_pb2.ERROR_CODE_UNSPECIFIED:
            return errors.from_reply(reply.error, reply.request_id)
        return Recommendation(
            request_id=reply.request_id,
            items=list(reply.items),
            scores=list(reply.scores),
            model_version=reply.model_version,
            timings={timing.tier: timing.micros for timing in reply.timings},
            scorer_slices=reply.scorer_slices,
            history_cache_hit=reply.history_cache_hit,
            degraded=reply.degraded,
            retrieval=reply.retrieval,
            generated=reply.generated,
        )
