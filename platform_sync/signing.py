"""Request signatures of the open platforms: one rule, four parameterisations (protocols/*.yaml `signing`).

Every platform signs the same way up to four choices: which parameters are signed (all that are sent,
or a fixed few), the digest (md5, hmac-md5, hmac-sha256), whether the secret wraps the concatenation,
and the hex case. The concatenation is `key + value` over the signed parameters in ASCII key order,
empty values left out (they are not sent either: the signed set must equal the sent set).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class SignatureScheme:
    """One `sign_method` of a platform."""

    digest: str  # md5 | hmac_md5 | hmac_sha256
    wrap_with_secret: bool  # secret + concatenation + secret, before digesting
    uppercase: bool

    def __post_init__(self) -> None:
        if self.digest not in DIGESTS:
            raise ValueError(f"unknown digest {self.digest!r}: one of {', '.join(DIGESTS)}")


def _md5(secret: bytes, message: bytes) -> str:
    return hashlib.md5(message).hexdigest()


def _hmac(algorithm: str):
    return lambda secret, message: hmac.new(secret, message, algorithm).hexdigest()


DIGESTS = {"md5": _md5, "hmac_md5": _hmac("md5"), "hmac_sha256": _hmac("sha256")}


def signed_string(params: Mapping[str, str]) -> str:
    """`k1v1k2v2…` over the non-empty parameters in ASCII key order."""
    return "".join(key + params[key] for key in sorted(params) if params[key] != "")


def sign(params: Mapping[str, str], secret: str, scheme: SignatureScheme) -> str:
    """The signature of the (already stringified) signed parameters under the app secret."""
    message = signed_string(params)
    if scheme.wrap_with_secret:
        message = secret + message + secret
    signature = DIGESTS[scheme.digest](secret.encode(), message.encode())
    return signature.upper() if scheme.uppercase else signature
