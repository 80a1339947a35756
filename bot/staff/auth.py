"""Passwords, signed sessions and CSRF tokens for the staff desk. Pure: no I/O.

Passwords are stored as scrypt hashes (`scrypt$n$r$p$salt$hash`). A session is a cookie
holding who signed in, their role and when the session ends, signed with HMAC-SHA256; the
CSRF token of a session is derived from it, so a form posted from another site fails."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
LOCK_AFTER = 5                           # failed sign-ins in a row lock the name ...
LOCK_FOR = dt.timedelta(minutes=15)      # ... for this long
SESSION_LENGTH = dt.timedelta(hours=12)  # a working day; then sign in again
COOKIE = "yizhan_staff"
ROLES = ("staff", "leader")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """The stored form of a password."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return "$".join(("scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P),
                     salt.hex(), digest.hex()))


def check_password(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from (constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        found = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                               p=int(p))
    except ValueError:
        return False
    return hmac.compare_digest(found.hex(), digest)


@dataclass(frozen=True)
class DeskSession:
    """Who is signed in: a staff member (every ticket) or a leader (their buildings)."""

    name: str
    role: str
    expires: dt.datetime
    nonce: str
    generation: int = 0      # the person's sign-out count when it was issued

    def __repr__(self) -> str:
        return f"DeskSession({self.name!r}, {self.role!r})"   # the nonce stays out of logs


class SessionSigner:
    """Signs and reads session cookies and CSRF tokens with the desk's secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the session secret must be at least 16 bytes")
        self._secret = secret

    def __repr__(self) -> str:
        return "SessionSigner(<secret>)"

    def issue(self, name: str, role: str, now: dt.datetime, generation: int = 0
              ) -> tuple[str, DeskSession]:
        """A new session and its cookie value."""
        session = DeskSession(name, role, now + SESSION_LENGTH, secrets.token_hex(8),
                              generation)
        body = "\x1f".join((name, role, str(int(session.expires.timestamp())), session.nonce,
                            str(generation)))
        payload = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
        return f"{payload}.{self._sign(payload)}", session

    def read(self, cookie: str | None, now: dt.datetime) -> DeskSession | None:
        """The session a cookie holds, or None when it is missing, forged or expired."""
        if not cookie or "." not in cookie:
            return None
        payload, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            body = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
            name, role, expires, nonce, generation = body.split("\x1f")
            ends = dt.datetime.fromtimestamp(int(expires), dt.UTC)
            count = int(generation)
        except (ValueError, UnicodeDecodeError):
            return None
        if role not in ROLES or ends <= now:
            return None
        return DeskSession(name, role, ends, nonce, count)

    def csrf(self, session: DeskSession) -> str:
        """The token every form of this session carries."""
        return self._sign(f"csrf\x1f{session.name}\x1f{session.nonce}")

    def csrf_ok(self, session: DeskSession, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token, self.csrf(session))

    def _sign(self, text: str) -> str:
        mac = hmac.new(self._secret, text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")
