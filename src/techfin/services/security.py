"""Passwords (argon2) and bearer tokens (random, stored as SHA-256)."""

from __future__ import annotations

import hashlib
import os
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id at the OWASP Password Storage Cheat Sheet's first recommended configuration
# (m = 19 MiB, t = 2, p = 1): about 20 ms of CPU a hash here. The test suite sets
# TECHFIN_FAST_PASSWORD_HASH=1 to hash thousands of test passwords quickly; never set it in
# production. Verification reads the parameters from each stored hash, so both kinds verify.
if os.environ.get("TECHFIN_FAST_PASSWORD_HASH") == "1":
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
else:
    _hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return "tf_" + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
