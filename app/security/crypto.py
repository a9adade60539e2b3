"""Token encryption at rest: AES-256-GCM under a keyring with one explicitly active key.

Why this shape (see ``shared/reference/security-and-reliability.md`` T1-T4):

* AES-256-GCM from ``cryptography``'s ``AESGCM`` with a 32-byte key and a fresh 96-bit nonce from
  ``os.urandom`` per encryption. Fernet is *not* used: it is AES-128-CBC + HMAC and does not meet
  the AES-256 requirement.
* Every ciphertext is bound to the row and column it is stored in through associated data
  (:func:`aad_for`), so a ciphertext copied into another row or column fails to decrypt.
* The envelope is a versioned, self-describing string::

      v1.<key_id>.<b64url nonce>.<b64url ciphertext||tag>

  The key id names the key that encrypted it, so decryption goes straight to that key and key
  rotation needs no trial decryption.
* **Key-ordering convention: the active key is named explicitly** (``TOKEN_ENCRYPTION_ACTIVE_KEY``);
  it is neither the first nor the last key of the list. Rails/GitLab encrypt with the last key and
  MultiFernet with the first; an explicit name removes that ambiguity. All keys in the ring can
  decrypt; only the active key encrypts. A retired key is removed from the ring once no row carries
  its id any more (count rows per :meth:`Keyring.key_id_of`).
* Fail closed: a bad key configuration raises :class:`KeyringError` (the app refuses to start), and a
  ciphertext that cannot be authenticated raises :class:`TokenDecryptError`. There is never a
  plaintext fallback.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Iterable, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "ENVELOPE_VERSION",
    "KEY_BYTES",
    "NONCE_BYTES",
    "Keyring",
    "KeyringError",
    "TokenDecryptError",
    "aad_for",
    "generate_key_spec",
]

ENVELOPE_VERSION = "v1"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96-bit GCM nonce
_TAG_BYTES = 16

# Key ids travel inside the envelope (dot-separated) and the env spec (comma/colon-separated), so
# they are restricted to characters that cannot collide with either separator.
_KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_AAD_PART_RE = re.compile(r"^[^:\s]+$")


class KeyringError(Exception):
    """The token-encryption key configuration is missing or invalid; the process must not start."""


class TokenDecryptError(Exception):
    """A stored ciphertext is malformed, tampered with, bound to another row, or under an unknown key."""


def aad_for(table: str, row_id: int | str, column: str) -> bytes:
    """Associated data binding a ciphertext to ``table``/``row_id``/``column`` (T2).

    :raises ValueError: when a part is empty or contains ``:`` or whitespace, which would make two
        different locations produce the same associated data.
    """
    parts = (table, str(row_id), column)
    for part in parts:
        if not _AAD_PART_RE.match(part):
            raise ValueError(f"invalid associated-data component {part!r}")
    return f"{table}:{row_id}:{column}:{ENVELOPE_VERSION}".encode()


def _b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _decode_key(key_id: str, encoded: str) -> bytes:
    """Decode one key from standard or URL-safe base64; never echo the key material in errors."""
    cleaned = encoded.strip().replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(f"token encryption key {key_id!r} is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise KeyringError(f"token encryption key {key_id!r} must be {KEY_BYTES} bytes (AES-256), got {len(raw)}")
    return raw


def generate_key_spec(key_id: str) -> str:
    """Return ``"<key_id>:<base64 of 32 random bytes>"``, one entry of ``TOKEN_ENCRYPTION_KEYS``.

    Used on first run of the embedded default to write a key into ``instance/``.
    """
    if not _KEY_ID_RE.match(key_id):
        raise KeyringError(f"invalid key id {key_id!r}: use 1-32 of [A-Za-z0-9_-]")
    key = AESGCM.generate_key(bit_length=256)
    return f"{key_id}:{base64.b64encode(key).decode('ascii')}"


def _as_bytes(aad: bytes | str) -> bytes:
    return aad.encode() if isinstance(aad, str) else aad


class Keyring:
    """A set of AES-256 keys by id, one of them explicitly active for new encryptions.

    ``repr()`` and ``str()`` show key ids only, never key material.
    """

    __slots__ = ("_active_id", "_ciphers")

    def __init__(self, keys: Mapping[str, bytes], active_id: str) -> None:
        """Build a ring from raw keys.

        :raises KeyringError: no keys, a bad key id, a key that is not 32 bytes, or an active id that is
            not in the ring.
        """
        if not keys:
            raise KeyringError("no token encryption keys configured")
        ciphers: dict[str, AESGCM] = {}
        for key_id, key in keys.items():
            if not _KEY_ID_RE.match(key_id):
                raise KeyringError(f"invalid key id {key_id!r}: use 1-32 of [A-Za-z0-9_-]")
            if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
                raise KeyringError(f"token encryption key {key_id!r} must be {KEY_BYTES} bytes (AES-256)")
            ciphers[key_id] = AESGCM(bytes(key))
        if not active_id:
            raise KeyringError("no active token encryption key named")
        if active_id not in ciphers:
            raise KeyringError(f"active token encryption key {active_id!r} is not in the keyring")
        self._ciphers = ciphers
        self._active_id = active_id

    @classmethod
    def from_env_values(cls, keys_spec: str | None, active_id: str | None) -> Keyring:
        """Parse ``TOKEN_ENCRYPTION_KEYS="k1:<b64>,k2:<b64>"`` and ``TOKEN_ENCRYPTION_ACTIVE_KEY="k2"``.

        Whitespace around entries is ignored. Keys may be standard or URL-safe base64.

        :raises KeyringError: a missing or empty spec, an entry without ``:``, a bad id, a duplicate id,
            invalid base64, a key that is not 32 bytes, or a missing/unknown active id.
        """
        if keys_spec is None or not keys_spec.strip():
            raise KeyringError("TOKEN_ENCRYPTION_KEYS is not set")
        if active_id is None or not active_id.strip():
            raise KeyringError("TOKEN_ENCRYPTION_ACTIVE_KEY is not set")
        keys: dict[str, bytes] = {}
        for position, entry in enumerate(keys_spec.split(","), start=1):
            entry = entry.strip()
            if not entry:
                raise KeyringError(f"TOKEN_ENCRYPTION_KEYS entry {position} is empty")
            key_id, sep, encoded = entry.partition(":")
            key_id = key_id.strip()
            if not sep or not encoded.strip():
                raise KeyringError(f"TOKEN_ENCRYPTION_KEYS entry {position} is not '<key_id>:<base64 key>'")
            if not _KEY_ID_RE.match(key_id):
                raise KeyringError(f"TOKEN_ENCRYPTION_KEYS entry {position} has an invalid key id")
            if key_id in keys:
                raise KeyringError(f"TOKEN_ENCRYPTION_KEYS names key {key_id!r} twice")
            keys[key_id] = _decode_key(key_id, encoded)
        return cls(keys, active_id.strip())

    # -- introspection ------------------------------------------------------------------------

    @property
    def active_key_id(self) -> str:
        """The id of the key every new encryption uses."""
        return self._active_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        """All key ids that can decrypt, in configuration order."""
        return tuple(self._ciphers)

    def __repr__(self) -> str:
        return f"Keyring(key_ids={list(self._ciphers)!r}, active={self._active_id!r})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        # Never let key material end up in a pickle (e.g. an RQ job payload).
        raise TypeError("Keyring cannot be pickled")

    def check_covers(self, key_ids_in_use: Iterable[str]) -> None:
        """Fail closed when stored ciphertexts name keys this ring does not hold (T4).

        :raises KeyringError: listing the missing key ids.
        """
        missing = sorted(set(key_ids_in_use) - set(self._ciphers))
        if missing:
            raise KeyringError(f"stored tokens use keys missing from the keyring: {missing}")

    # -- encryption ---------------------------------------------------------------------------

    def encrypt(self, plaintext: str, aad: bytes | str) -> str:
        """Encrypt ``plaintext`` with the active key and a fresh nonce, bound to ``aad``."""
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = self._ciphers[self._active_id].encrypt(nonce, plaintext.encode("utf-8"), _as_bytes(aad))
        return ".".join((ENVELOPE_VERSION, self._active_id, _b64url_encode(nonce), _b64url_encode(ciphertext)))

    def _parse(self, envelope: str) -> tuple[str, bytes, bytes]:
        if not isinstance(envelope, str):
            raise TokenDecryptError("token ciphertext is not a string")
        parts = envelope.split(".")
        if len(parts) != 4 or parts[0] != ENVELOPE_VERSION:
            raise TokenDecryptError("token ciphertext is not a v1 envelope")
        _, key_id, nonce_b64, ct_b64 = parts
        if not _KEY_ID_RE.match(key_id):
            raise TokenDecryptError("token ciphertext has an invalid key id")
        try:
            nonce = _b64url_decode(nonce_b64)
            ciphertext = _b64url_decode(ct_b64)
        except (binascii.Error, ValueError):
            raise TokenDecryptError("token ciphertext is not valid base64url") from None
        if len(nonce) != NONCE_BYTES or len(ciphertext) < _TAG_BYTES:
            raise TokenDecryptError("token ciphertext has a bad nonce or is truncated")
        return key_id, nonce, ciphertext

    def key_id_of(self, envelope: str) -> str:
        """The id of the key that encrypted ``envelope`` (no decryption).

        :raises TokenDecryptError: when ``envelope`` is not a well-formed v1 envelope.
        """
        return self._parse(envelope)[0]

    def needs_rotation(self, envelope: str) -> bool:
        """Whether ``envelope`` was encrypted under a key other than the active one."""
        return self.key_id_of(envelope) != self._active_id

    def decrypt(self, envelope: str, aad: bytes | str) -> str:
        """Authenticate and decrypt ``envelope`` bound to ``aad``.

        :raises TokenDecryptError: malformed envelope, unknown key id, tampered ciphertext, or
            associated data of another row/column. Never returns the raw value.
        """
        key_id, nonce, ciphertext = self._parse(envelope)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise TokenDecryptError(f"token ciphertext uses key {key_id!r}, which is not in the keyring")
        try:
            plaintext = cipher.decrypt(nonce, ciphertext, _as_bytes(aad))
        except InvalidTag:
            raise TokenDecryptError(
                "token ciphertext failed authentication (tampered, or bound to another row/column)"
            ) from None
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError:  # pragma: no cover - only reachable with a forged valid tag
            raise TokenDecryptError("token plaintext is not UTF-8") from None

    def reencrypt(self, envelope: str, aad: bytes | str) -> str:
        """Return ``envelope`` re-encrypted under the active key (T3 rotation).

        The ciphertext is always authenticated first. An envelope already under the active key is
        returned unchanged, so a rotation run is idempotent and does not rewrite rows needlessly.

        :raises TokenDecryptError: as :meth:`decrypt`.
        """
        plaintext = self.decrypt(envelope, aad)
        if not self.needs_rotation(envelope):
            return envelope
        return self.encrypt(plaintext, aad)
