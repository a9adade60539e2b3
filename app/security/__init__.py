"""Security primitives: token encryption at rest (AES-256-GCM keyring) and secret scrubbing."""

from app.security.crypto import Keyring, KeyringError, TokenDecryptError, aad_for, generate_key_spec
from app.security.scrub import ScrubbingFilter, scrub_exception, scrub_mapping, scrub_text, scrub_url

__all__ = [
    "Keyring",
    "KeyringError",
    "ScrubbingFilter",
    "TokenDecryptError",
    "aad_for",
    "generate_key_spec",
    "scrub_exception",
    "scrub_mapping",
    "scrub_text",
    "scrub_url",
]
