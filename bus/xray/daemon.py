"""The local X-Ray daemon: segment datagrams on UDP in, documents to the trace store out.

aws-xray-sdk and Powertools Tracer send to ``AWS_XRAY_DAEMON_ADDRESS`` (default
``127.0.0.1:2000``) and never wait for an answer, so the daemon only has to keep reading: a
datagram is parsed and queued for the store's writer thread; a malformed one is counted and
dropped, as the real daemon drops it.

    daemon = XRayDaemon(store, "127.0.0.1:0").start()   # port 0: a free port
    os.environ["AWS_XRAY_DAEMON_ADDRESS"] = daemon.address
"""

from __future__ import annotations

import logging
import socket
import threading

from bus.xray._documents import parse_datagram
from bus.xray.errors import InvalidSegment
from bus.xray.store import TraceStore

__all__ = ["XRayDaemon", "parse_address"]

log = logging.getLogger(__name__)
_POLL_SECONDS = 0.2  # how soon ``stop`` is noticed


def parse_address(address: str) -> tuple[str, int]:
    """``127.0.0.1:2000`` -> ``("127.0.0.1", 2000)``; a bare port means loopback."""
    host, sep, port = address.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise ValueError(f"X-Ray daemon address {address!r} is not HOST:PORT") from None
    if not 0 <= number <= 65535:
        raise ValueError(f"X-Ray daemon port {number} is out of range")
    return (host if sep and host else "127.0.0.1"), number


class XRayDaemon:
    def __init__(self, store: TraceStore, address: str = "127.0.0.1:2000") -> None:
        self.store = store
        self._bind = parse_address(address)
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.received = 0
        self.rejected = 0
        self.last_error: str | None = None

    @property
    def address(self) -> str:
        """Where segments go, once started (the actual port when 0 was asked)."""
        if self._socket is None:
            host, port = self._bind
        else:
            host, port = self._socket.getsockname()[:2]
        return f"{host}:{port}"

    def start(self) -> XRayDaemon:
        """Bind and start reading; raises OSError when the address is taken."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind(self._bind)
        except OSError:
            sock.close()
            raise
        sock.settimeout(_POLL_SECONDS)
        self._socket = sock
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="choreo-xray-daemon", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _run(self) -> None:
        sock = self._socket
        assert sock is not None
        while not self._stop.is_set():
            try:
                data, _ = sock.recvfrom(65_535)
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                log.exception("x-ray daemon socket failed")
                return
            self.accept(data)

    def accept(self, data: bytes) -> bool:
        """Take one datagram; False (and counted) when it is not a segment."""
        try:
            doc = parse_datagram(data)
        except InvalidSegment as exc:
            self.rejected += 1
            self.last_error = exc.message
            log.debug("dropped x-ray datagram: %s", exc.message)
            return False
        self.received += 1
        self.store.submit([doc])
        return True
