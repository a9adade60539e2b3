"""T1-T4: AES-256-GCM envelopes, row binding, keyring rotation and fail-closed configuration."""

from __future__ import annotations

import base64
import pickle
import re

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.security.crypto import (
    KEY_BYTES,
    NONCE_BYTES,
    Keyring,
    KeyringError,
    TokenDecryptError,
    aad_for,
    generate_key_spec,
)


def _b64key(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _decode_part(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@pytest.fixture
def k1() -> str:
    return generate_key_spec("k1")


@pytest.fixture
def k2() -> str:
    return generate_key_spec("k2")


AAD = aad_for("platform_connection", 7, "access_token")


# -- T1 ---------------------------------------------------------------------------------------


def test_envelope_shape_and_fresh_nonce(k1: str) -> None:
    ring = Keyring.from_env_values(k1, "k1")
    a = ring.encrypt("tok-CANARY", AAD)
    b = ring.encrypt("tok-CANARY", AAD)
    assert a != b
    va, ka, na, ca = a.split(".")
    vb, kb, nb, cb = b.split(".")
    assert (va, ka) == (vb, kb) == ("v1", "k1")
    assert len(_decode_part(na)) == NONCE_BYTES == 12
    assert na != nb
    assert ca != cb
    assert "CANARY" not in a
    assert ring.decrypt(a, AAD) == ring.decrypt(b, AAD) == "tok-CANARY"


def test_keys_are_32_bytes(k1: str) -> None:
    raw = base64.b64decode(k1.split(":", 1)[1])
    assert len(raw) == KEY_BYTES == 32
    short = _b64key(AESGCM.generate_key(bit_length=128))
    with pytest.raises(KeyringError, match="32 bytes"):
        Keyring.from_env_values(f"k1:{short}", "k1")


def test_envelope_is_real_aes_gcm(k1: str) -> None:
    """The envelope decrypts with plain AESGCM and the documented associated data."""
    ring = Keyring.from_env_values(k1, "k1")
    env = ring.encrypt("hello", AAD)
    _, _, nonce, ct = env.split(".")
    key = base64.b64decode(k1.split(":", 1)[1])
    assert (
        AESGCM(key).decrypt(_decode_part(nonce), _decode_part(ct), b"platform_connection:7:access_token:v1") == b"hello"
    )


def test_flipping_any_byte_fails(k1: str) -> None:
    ring = Keyring.from_env_values(k1, "k1")
    env = ring.encrypt("refresh-token-value", AAD)
    v, kid, nonce_b64, ct_b64 = env.split(".")
    nonce, ct = bytearray(_decode_part(nonce_b64)), bytearray(_decode_part(ct_b64))
    enc = lambda b: base64.urlsafe_b64encode(bytes(b)).rstrip(b"=").decode()  # noqa: E731
    for i in range(len(nonce)):
        bad = bytearray(nonce)
        bad[i] ^= 0x01
        with pytest.raises(TokenDecryptError):
            ring.decrypt(".".join((v, kid, enc(bad), ct_b64)), AAD)
    for i in range(len(ct)):
        bad = bytearray(ct)
        bad[i] ^= 0x80
        with pytest.raises(TokenDecryptError):
            ring.decrypt(".".join((v, kid, nonce_b64, enc(bad))), AAD)
    # truncated / malformed envelopes never come back as plaintext
    for broken in (
        env[:-4],
        env + "A",
        "v2" + env[2:],
        "plain-token",
        "",
        "v1.k1..",
        env.replace(".", "", 1),
    ):
        with pytest.raises(TokenDecryptError):
            ring.decrypt(broken, AAD)


# -- T2 ---------------------------------------------------------------------------------------


def test_ciphertext_bound_to_row_and_column(k1: str) -> None:
    ring = Keyring.from_env_values(k1, "k1")
    a_env = ring.encrypt("creator-A-token", aad_for("platform_connection", 1, "access_token"))
    with pytest.raises(TokenDecryptError):
        ring.decrypt(a_env, aad_for("platform_connection", 2, "access_token"))
    with pytest.raises(TokenDecryptError):
        ring.decrypt(a_env, aad_for("platform_connection", 1, "refresh_token"))
    with pytest.raises(TokenDecryptError):
        ring.decrypt(a_env, aad_for("other_table", 1, "access_token"))
    assert ring.decrypt(a_env, aad_for("platform_connection", 1, "access_token")) == "creator-A-token"


def test_aad_format_and_validation() -> None:
    assert aad_for("t", 5, "c") == b"t:5:c:v1"
    assert aad_for("t", "abc", "c") == b"t:abc:c:v1"
    for bad, part in (
        (("t:x", 1, "c"), "t:x"),
        (("t", "1:2", "c"), "1:2"),
        (("", 1, "c"), ""),
        (("t", 1, "c d"), "c d"),
    ):
        with pytest.raises(ValueError, match=re.escape(f"invalid associated-data component {part!r}")):
            aad_for(*bad)


# -- T3 ---------------------------------------------------------------------------------------


def test_rotation_of_100_rows(k1: str, k2: str) -> None:
    old = Keyring.from_env_values(k1, "k1")
    rows = {i: (f"token-{i}", old.encrypt(f"token-{i}", aad_for("conn", i, "access_token"))) for i in range(100)}
    assert {old.key_id_of(env) for _, env in rows.values()} == {"k1"}

    # k2 becomes active; k1 stays in the ring for reading. Order in the spec does not matter.
    for spec in (f"{k1},{k2}", f"{k2},{k1}"):
        ring = Keyring.from_env_values(spec, "k2")
        assert ring.active_key_id == "k2"
        for i, (plain, env) in rows.items():
            assert ring.decrypt(env, aad_for("conn", i, "access_token")) == plain
            assert ring.needs_rotation(env)

    ring = Keyring.from_env_values(f"{k1},{k2}", "k2")
    rotated = {i: ring.reencrypt(env, aad_for("conn", i, "access_token")) for i, (_, env) in rows.items()}
    assert {ring.key_id_of(env) for env in rotated.values()} == {"k2"}
    assert not any(ring.needs_rotation(env) for env in rotated.values())
    # idempotent: already-active envelopes come back unchanged
    assert all(ring.reencrypt(env, aad_for("conn", i, "access_token")) == env for i, env in rotated.items())

    # k1 retired: every row still reads; new writes use k2; old ciphertexts now fail closed
    only_k2 = Keyring.from_env_values(k2, "k2")
    for i, env in rotated.items():
        assert only_k2.decrypt(env, aad_for("conn", i, "access_token")) == rows[i][0]
    assert only_k2.key_id_of(only_k2.encrypt("new", AAD)) == "k2"
    with pytest.raises(TokenDecryptError, match="not in the keyring"):
        only_k2.decrypt(rows[0][1], aad_for("conn", 0, "access_token"))
    only_k2.check_covers(["k2"])
    with pytest.raises(KeyringError, match="k1"):
        only_k2.check_covers(["k1", "k2"])


def test_active_key_is_explicit_not_positional(k1: str, k2: str) -> None:
    assert (
        Keyring.from_env_values(f"{k1},{k2}", "k1").key_id_of(
            Keyring.from_env_values(f"{k1},{k2}", "k1").encrypt("x", AAD)
        )
        == "k1"
    )
    ring = Keyring.from_env_values(f"{k2},{k1}", "k1")
    assert ring.key_id_of(ring.encrypt("x", AAD)) == "k1"


# -- T4 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "active", "match"),
    [
        (None, "k1", "not set"),
        ("", "k1", "not set"),
        ("   ", "k1", "not set"),
        ("{k1}", None, "ACTIVE_KEY is not set"),
        ("{k1}", "", "ACTIVE_KEY is not set"),
        ("{k1}", "k9", "not in the keyring"),
        ("k1", "k1", "not '<key_id>:<base64 key>'"),
        ("k1:", "k1", "not '<key_id>:<base64 key>'"),
        (":{raw1}", "k1", "invalid key id"),
        ("k.1:{raw1}", "k.1", "invalid key id"),
        ("k1:not base64!!", "k1", "not valid base64"),
        ("k1:{short}", "k1", "32 bytes"),
        ("k1:{long}", "k1", "32 bytes"),
        ("{k1},{k1}", "k1", "twice"),
        ("{k1},,{k2}", "k1", "empty"),
    ],
)
def test_bad_key_configuration_raises(spec: str | None, active: str | None, match: str, k1: str, k2: str) -> None:
    raw1 = k1.split(":", 1)[1]
    values = {
        "k1": k1,
        "k2": k2,
        "raw1": raw1,
        "short": _b64key(b"x" * 16),
        "long": _b64key(b"x" * 48),
    }
    with pytest.raises(KeyringError, match=match) as info:
        Keyring.from_env_values(spec.format(**values) if spec is not None else None, active)
    assert raw1 not in str(info.value)


def test_direct_construction_validates() -> None:
    with pytest.raises(KeyringError):
        Keyring({}, "k1")
    with pytest.raises(KeyringError):
        Keyring({"k1": b"x" * 31}, "k1")
    with pytest.raises(KeyringError):
        Keyring({"k1": b"x" * 32}, "k2")
    with pytest.raises(KeyringError):
        generate_key_spec("bad id")


def test_urlsafe_and_whitespace_tolerated() -> None:
    raw = b"\xfb\xff" * 16
    spec = f" k1 : {base64.urlsafe_b64encode(raw).decode().rstrip('=')} , k2:{_b64key(raw)} "
    ring = Keyring.from_env_values(spec, " k2 ")
    assert ring.key_ids == ("k1", "k2")
    assert ring.decrypt(Keyring({"k1": raw}, "k1").encrypt("x", AAD), AAD) == "x"


def test_repr_never_shows_key_material(k1: str, k2: str) -> None:
    ring = Keyring.from_env_values(f"{k1},{k2}", "k2")
    text = repr(ring) + str(ring) + f"{ring}"
    for spec in (k1, k2):
        b64 = spec.split(":", 1)[1]
        assert b64 not in text
        assert b64[:16] not in text
    assert "k1" in text
    assert "k2" in text
    with pytest.raises(TypeError):
        pickle.dumps(ring)
