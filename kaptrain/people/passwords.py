"""Password policy and hashing (OWASP ASVS V6.2).

Length 8 to 128, no composition rules; refused when it is a common password or
zxcvbn judges it easy to guess, with zxcvbn's own advice as the message.
Hashes use scrypt with the configured parameters and are upgraded at the next
login whenever the parameters change.
"""

from __future__ import annotations

import re
from functools import lru_cache

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 8
MAX_LENGTH = 128
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable" against online and slow-hash attacks
ZXCVBN_MAX = 72


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"][:10_000])


def _personal_words(values: list[str] | None) -> list[str]:
    """The person's email and name, whole and split into words, for zxcvbn.

    zxcvbn matches each input as one dictionary word, so "ngozi.adeyemi@x.org"
    alone would not catch the password "ngozi-adeyemi".
    """
    words: list[str] = []
    for value in values or []:
        if not value:
            continue
        words.append(value.lower())
        words.extend(
            part for part in re.split(r"[\W_]+", value.lower()) if len(part) > 2
        )
    return list(dict.fromkeys(words))


def password_problem(password: str, user_inputs: list[str] | None = None) -> str | None:
    """Why ``password`` is not acceptable, as a sentence; None when it is."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters; a short phrase works well."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if password.lower() in _common_passwords():
        return "That is one of the most common passwords. Choose something less usual."
    # zxcvbn refuses input over 72 characters; judge the first 72 of a longer one.
    # Imported on first use: its word lists take about 15 MB, which a worker
    # that only serves pages never needs.
    from zxcvbn import zxcvbn

    result = zxcvbn(password[:ZXCVBN_MAX], user_inputs=_personal_words(user_inputs))
    if result["score"] < MIN_SCORE:
        feedback = result.get("feedback") or {}
        advice = feedback.get("warning") or ""
        suggestions = " ".join(feedback.get("suggestions") or [])
        detail = " ".join(part for part in (advice, suggestions) if part)
        message = "That password would be easy to guess."
        if detail:
            message += f" {detail}"
        else:
            message += " Add another word or two that are not related to you."
        return message
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(
        password, method=current_app.config["PASSWORD_METHOD"]
    )


def verify_password(stored_hash: str, password: str) -> bool:
    return check_password_hash(stored_hash, password)


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with other parameters than the configured ones."""
    method = current_app.config["PASSWORD_METHOD"]
    return not stored_hash.startswith(method + "$")
