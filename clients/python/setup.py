"""Generates recserve/_proto/recserve_pb2.py from the repository's recserve.proto, then builds.

The proto is never copied by hand: every build runs protoc (from grpcio-tools) on
Shared/Transport/Proto/recserve.proto, and the package requires a protobuf runtime at least as new
as the protoc that generated the code.
"""

import pathlib

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent
PROTO = HERE.parent.parent / "Shared" / "Transport" / "Proto" / "recserve.proto"
OUT = HERE / "recserve" / "_proto"


def generate():
    from grpc_tools import protoc

    if not PROTO.exists():
        raise SystemExit(f"cannot find {PROTO}: build from a RecServe checkout (pip install ./clients/python)")
    OUT.mkdir(exist_ok=True)
    (OUT / "__init__.py").write_text('"""Generated from recserve.proto at build time; do not edit."""\n')
    status = protoc.main(["protoc", f"-I{PROTO.parent}", f"--python_out={OUT}", str(PROTO)])
    if status != 0:
        raise SystemExit(f"protoc failed on {PROTO} (status {status})")


class BuildWithProto(build_py):
    def run(self):
        generate()
        super().run()


def protobuf_requirement():
    import google.protobuf

    major, minor = google.protobuf.__version__.split(".")[:2]
    return f"protobuf>={major}.{minor}"


generate()  # also for sdists and metadata, so the package list is complete
setup(cmdclass={"build_py": BuildWithProto}, install_requires=["pyzmq>=22", protobuf_requirement()])
