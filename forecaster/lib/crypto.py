"""Authenticated encryption of stored secrets (AES-256-GCM with a key id).

    >>> box = SecretBox.from_settings()
    >>> token = box.encrypt("s3cret", context="system:3f2a…")
    >>> box.decrypt(token, context="system:3f2a…")
    's3cret'

Tokens look like ``v1:<key id>:<base64 nonce+ciphertext>``. The ``context`` is bound to the
token as associated data, so a token copied to another row fails to decrypt instead of
silently lending its secret. Keys live outside the database: in ``FORECASTER_ENCRYPTION_KEY``
(``kid:base64key`` items or bare base64 keys, comma-separated, newest first), in the file named by
``FORECASTER_ENCRYPTION_KEY_FILE``, or in ``<data dir>/encryption_keys`` (generated on first
use with mode 0600, one ``kid base64key`` per line, newest first). Older keys stay readable,
which is what key rotation needs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"


class DecryptionError(Exception):
    """A stored secret cannot be decrypted: the key changed, or the value was tampered with."""


class KeyConfigError(Exception):
    """The encryption key configuration is missing, unreadable or malformed."""


def new_key_line() -> str:
    """A fresh ``kid base64key`` line for a key file."""
    kid = secrets.token_hex(4)
    return f"{kid} {base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()}"


_KID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


def parse_keys(text: str, *, separator: str = "\n", source: str = "the key file") -> list[tuple[str, bytes]]:
    """Parse key items, newest first: ``kid base64key``, ``kid:base64key`` or a bare base64 key
    (its id is then derived from the key). Error messages never repeat any part of an item:
    a mistyped line may be a key."""
    keys: list[tuple[str, bytes]] = []
    for number, raw in enumerate(text.split(separator), start=1):
        item = raw.strip()
        if not item or item.startswith("#"):
            continue
        kid, _, b64 = item.replace(":", " ", 1).partition(" ")
        if not b64.strip():  # a bare key
            kid, b64 = "", kid
        elif not _KID.match(kid):
            raise KeyConfigError(
                f"item {number} of {source}: the key id before the key must be 1–16 letters, digits, - or _"
            )
        try:
            key = base64.b64decode(b64.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise KeyConfigError(f"item {number} of {source} is not a base64-encoded key") from None
        if len(key) != 32:
            raise KeyConfigError(
                f"item {number} of {source} must be a 32-byte (AES-256) key in base64; "
                f"it has {len(key)} bytes"
            )
        keys.append((kid or "k" + hashlib.sha256(key).hexdigest()[:8], key))
    if not keys:
        raise KeyConfigError(f"{source} holds no encryption key")
    return keys


def key_file_path() -> Path:
    """Where the key file is (env override, else the data directory)."""
    from django.conf import settings

    named = os.environ.get("FORECASTER_ENCRYPTION_KEY_FILE")
    return Path(named) if named else Path(settings.DATA_DIR) / "encryption_keys"


def load_keys(*, create: bool = True) -> list[tuple[str, bytes]]:
    """The configured keys, newest first; creates the key file on first use if allowed."""
    env = os.environ.get("FORECASTER_ENCRYPTION_KEY")
    if env:
        return parse_keys(env, separator=",", source="FORECASTER_ENCRYPTION_KEY")
    path = key_file_path()
    if not path.exists():
        if not create:
            raise KeyConfigError(f"key file {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it a moment ago
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(new_key_line() + "\n")
    try:
        return parse_keys(path.read_text(errors="replace"), source=f"the key file {path}")
    except OSError as exc:
        raise KeyConfigError(f"cannot read key file {path}: {exc.strerror}") from None


@dataclass
class SecretBox:
    """Encrypts with the newest key; decrypts with whichever key id the token names."""

    keys: list[tuple[str, bytes]]

    @classmethod
    def from_settings(cls) -> SecretBox:
        return cls(load_keys())

    @property
    def current_kid(self) -> str:
        return self.keys[0][0]

    def encrypt(self, plaintext: str, *, context: str) -> str:
        kid, key = self.keys[0]
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())
        return f"{VERSION}:{kid}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, context: str) -> str:
        try:
            version, kid, b64 = token.split(":", 2)
            blob = base64.b64decode(b64, validate=True)
        except (ValueError, binascii.Error):
            raise DecryptionError("stored secret is malformed") from None
        if version != VERSION:
            raise DecryptionError(f"stored secret has unknown format {version!r}")
        key = dict(self.keys).get(kid)
        if key is None:
            raise DecryptionError(
                f"cannot decrypt the stored secret: key {kid!r} is not configured (key changed?)"
            )
        try:
            return AESGCM(key).decrypt(blob[:12], blob[12:], context.encode()).decode()
        except InvalidTag:
            raise DecryptionError(
                "cannot decrypt the stored secret: key changed or value tampered with"
            ) from None

    def needs_rotation(self, token: str) -> bool:
        """True when the token was sealed with an older key than the current one."""
        return token.split(":", 2)[1:2] != [self.current_kid]
