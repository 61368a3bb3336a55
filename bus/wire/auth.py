"""AWS Signature Version 4 verification for ``choreo serve --auth FILE``.

The credentials file holds one ``ACCESS_KEY_ID SECRET_ACCESS_KEY`` pair a line (separated by
blanks); blank lines and lines starting with ``#`` are ignored::

    # who may talk to this bus
    AKIAORDERSSERVICE0001  wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
    AKIASHIPPINGSERVICE01  je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY

Like ssh with its private keys, the file is refused when its group or others may read or write it
(``chmod 600 FILE``), and no secret is ever logged or shown in an error.

Every request must carry a header-signed SigV4 ``Authorization`` (``AWS4-HMAC-SHA256
Credential=AKID/date/region/service/aws4_request, SignedHeaders=..., Signature=...``) and an
``X-Amz-Date`` (or ``Date``) within 15 minutes of the server's clock. The canonical request is
rebuilt from what arrived (method, path, query, the signed headers exactly as received, the payload
hash) and signed again with the secret of that access key, as AWS does. When
``x-amz-content-sha256`` is sent it must be the SHA-256 of the body actually received, so a signed
header cannot vouch for a different body. Query-string (presigned) signatures are not accepted.

Failures are AWS's errors, in the shape of the protocol in use (SQS also reports its Query code):

    unsigned                 MissingAuthenticationTokenException  (SQS: MissingAuthenticationToken)
    malformed Authorization  IncompleteSignatureException         (SQS: IncompleteSignature)
    unknown access key       UnrecognizedClientException          (SQS: InvalidClientTokenId)
    wrong signature, skew    InvalidSignatureException            (SQS: SignatureDoesNotMatch)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bus.wire._protocol import Protocol, WireError

__all__ = [
    "MAX_SKEW",
    "AuthError",
    "Authenticator",
    "CredentialsError",
    "load_credentials",
]

MAX_SKEW = timedelta(minutes=15)
_ALGORITHM = "AWS4-HMAC-SHA256"
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS"
    " Secret Access Key and signing method. Consult the service documentation for details."
)
_SQS_QUERY_CODES: Mapping[str, str] = {
    "MissingAuthenticationTokenException": "MissingAuthenticationToken",
    "IncompleteSignatureException": "IncompleteSignature",
    "UnrecognizedClientException": "InvalidClientTokenId",
    "InvalidSignatureException": "SignatureDoesNotMatch",
}
_ACCESS_KEY = re.compile(r"[A-Za-z0-9_.+=@-]{1,128}")


class CredentialsError(Exception):
    """The credentials file cannot be used; the message never contains a secret."""


class AuthError(WireError):
    """A request refused by signature verification, with AWS's code, message and status."""

    @property
    def query_code(self) -> str:
        return _SQS_QUERY_CODES.get(self.wire_code, self.wire_code)


def load_credentials(path: Path) -> dict[str, str]:
    """The access key id -> secret pairs of ``path``; refuses a file group or others can access."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise CredentialsError(f"cannot read credentials file {path}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise CredentialsError(f"credentials file {path} is not a regular file")
    if os.name == "posix" and mode & 0o077:
        raise CredentialsError(
            f"permissions {stat.S_IMODE(mode):04o} for credentials file {path} are too open: it must"
            f" not be accessible by group or others (chmod 600 {path})"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialsError(f"cannot read credentials file {path}: {exc}") from None
    credentials: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) != 2:
            raise CredentialsError(
                f"{path}:{number}: expected 'ACCESS_KEY_ID SECRET_ACCESS_KEY' ({len(fields)} fields found)"
            )
        key, secret = fields
        if not _ACCESS_KEY.fullmatch(key):
            raise CredentialsError(
                f"{path}:{number}: not a valid access key id (expected 'ACCESS_KEY_ID SECRET_ACCESS_KEY')"
            )
        if key in credentials:
            raise CredentialsError(f"{path}:{number}: access key id {key} is listed twice")
        credentials[key] = secret
    if not credentials:
        raise CredentialsError(f"credentials file {path} holds no 'ACCESS_KEY_ID SECRET_ACCESS_KEY' line")
    return credentials


def _utcnow() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)


class Authenticator:
    """Verifies SigV4 header signatures against a fixed set of access keys."""

    def __init__(
        self,
        credentials: Mapping[str, str],
        *,
        now: Callable[[], datetime] = _utcnow,
        max_skew: timedelta = MAX_SKEW,
    ) -> None:
        self._credentials = dict(credentials)
        self._now = now
        self._max_skew = max_skew

    @classmethod
    def from_file(cls, path: Path) -> Authenticator:
        return cls(load_credentials(path))

    @property
    def key_count(self) -> int:
        return len(self._credentials)

    def __repr__(self) -> str:  # never the secrets
        return f"Authenticator({self.key_count} access key(s))"

    def verify(
        self,
        method: str,
        raw_path: str,
        query_string: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
    ) -> AuthError | None:
        """None when the request is signed by a known key, else the error to answer with.

        ``raw_path`` and ``query_string`` are as sent (still percent-encoded); ``headers`` are the
        received (name, value) pairs, names in any case.
        """
        received: dict[str, list[str]] = {}
        for name, value in headers:
            received.setdefault(name.lower(), []).append(value)
        authorization = received.get("authorization")
        if not authorization:
            return AuthError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
        parsed = _parse_authorization(authorization[0])
        if isinstance(parsed, AuthError):
            return parsed
        credential, signed_headers, signature = parsed
        scope = credential.split("/")
        if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
            return _incomplete(
                f"Credential should be scoped to a valid region, not '{'/'.join(scope[2:3])}'. "
                if len(scope) == 5
                else "Authorization header requires 'Credential' parameter. "
            )
        access_key, day, region, service, _ = scope
        secret = self._credentials.get(access_key)
        if secret is None:
            return AuthError(
                "UnrecognizedClientException", "The security token included in the request is invalid.", 403
            )
        names = signed_headers.split(";")
        if "host" not in names:
            return _incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.")
        stamp = _request_time(received)
        if stamp is None:
            return _incomplete(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
            )
        if any(name not in received for name in names):
            return AuthError("InvalidSignatureException", _SIGNATURE_MISMATCH, 403)
        expired = self._check_time(stamp)
        if expired is not None:
            return expired
        amz_date = stamp.strftime(_AMZ_DATE)
        if day != amz_date[:8]:
            return AuthError(
                "InvalidSignatureException",
                f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from"
                f" HTTP: '{day}' != '{amz_date[:8]}', from '{amz_date}'.",
                403,
            )
        payload_hash = hashlib.sha256(body).hexdigest()
        declared = received.get("x-amz-content-sha256")
        if declared is not None:
            if declared[0] != payload_hash:
                return AuthError(
                    "InvalidSignatureException",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                    403,
                )
            payload_hash = declared[0]
        canonical = "\n".join(
            [
                method.upper(),
                _canonical_uri(raw_path),
                _canonical_query(query_string),
                "".join(f"{name}:{_header_value(received[name])}\n" for name in names),
                signed_headers,
                payload_hash,
            ]
        )
        credential_scope = f"{day}/{region}/{service}/aws4_request"
        string_to_sign = "\n".join(
            [_ALGORITHM, amz_date, credential_scope, hashlib.sha256(canonical.encode()).hexdigest()]
        )
        key = _signing_key(secret, day, region, service)
        expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature.lower()):
            return AuthError("InvalidSignatureException", _SIGNATURE_MISMATCH, 403)
        return None

    def _check_time(self, stamp: datetime) -> AuthError | None:
        now = self._now()
        earliest, latest = now - self._max_skew, now + self._max_skew
        minutes = int(self._max_skew.total_seconds() // 60)
        if stamp < earliest:
            return AuthError(
                "InvalidSignatureException",
                f"Signature expired: {stamp.strftime(_AMZ_DATE)} is now earlier than"
                f" {earliest.strftime(_AMZ_DATE)} ({now.strftime(_AMZ_DATE)} - {minutes} min.)",
                403,
            )
        if stamp > latest:
            return AuthError(
                "InvalidSignatureException",
                f"Signature not yet current: {stamp.strftime(_AMZ_DATE)} is still later than"
                f" {latest.strftime(_AMZ_DATE)} ({now.strftime(_AMZ_DATE)} + {minutes} min.)",
                403,
            )
        return None

    @staticmethod
    def error(protocol: Protocol, exc: AuthError) -> tuple[int, dict[str, Any], dict[str, str]]:
        """``exc`` in ``protocol``'s error shape; query-compatible protocols get the Query code."""
        status, body, headers = protocol.error(exc)
        if "x-amzn-query-error" in headers:
            headers = {**headers, "x-amzn-query-error": f"{exc.query_code};Sender"}
        return status, body, headers


def _incomplete(message: str) -> AuthError:
    return AuthError("IncompleteSignatureException", message.strip(), 400)


def _parse_authorization(value: str) -> tuple[str, str, str] | AuthError:
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != _ALGORITHM:
        return _incomplete(f"Unsupported authorization type: '{algorithm}'.")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, field = part.strip().partition("=")
        if sep:
            fields[name] = field
    for required in ("Credential", "SignedHeaders", "Signature"):
        if not fields.get(required):
            return _incomplete(f"Authorization header requires '{required}' parameter.")
    return fields["Credential"], fields["SignedHeaders"], fields["Signature"]


def _request_time(received: Mapping[str, list[str]]) -> datetime | None:
    amz_date = received.get("x-amz-date")
    if amz_date:
        try:
            return datetime.strptime(amz_date[0].strip(), _AMZ_DATE).replace(tzinfo=UTC)
        except ValueError:
            return None
    date = received.get("date")
    if date:
        try:
            parsed = parsedate_to_datetime(date[0])
        except (TypeError, ValueError):
            return None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return None


def _header_value(values: list[str]) -> str:
    return ",".join(" ".join(value.split()) for value in values)


def _canonical_uri(raw_path: str) -> str:
    """The path as AWS signs it for every service but S3: dot segments removed, encoded again."""
    segments: list[str] = []
    for segment in raw_path.split("/")[1:]:
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in (".", ""):
            segments.append(segment)
    path = "/" + "/".join(segments)
    if raw_path.endswith("/") and path != "/":
        path += "/"
    return quote(path, safe="/~")


def _canonical_query(query_string: str) -> str:
    if not query_string:
        return ""
    pairs = [pair.partition("=") for pair in query_string.split("&")]
    return "&".join(f"{key}={value}" for key, _, value in sorted(pairs))


def _signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), day.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key
