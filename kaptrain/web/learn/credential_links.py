"""The addresses a certificate's credential names, and getting the credential
(signed on first need) for a page, a download or the PDF."""

from __future__ import annotations

from typing import Any

from kaptrain.learning.credentials import issuance, keys
from kaptrain.learning.credentials.build import Links, status_position
from kaptrain.models import Certificate
from kaptrain.platform.urls import absolute_url


def links_for(cert: Certificate) -> Links:
    """The absolute addresses a certificate's credential names."""
    list_number, _index = status_position(cert.id)
    return Links(
        issuer_did=keys.issuer_did(),
        site_url=absolute_url("main.index"),
        verify_url=absolute_url("learn.verify", code=cert.code),
        achievement_url=absolute_url("learn.module", module_id=cert.module_id),
        status_list_url=absolute_url("learn.status_list", list_number=list_number),
    )


def credential_or_none(cert: Certificate) -> dict[str, Any] | None:
    """The certificate's signed credential, or None while the site has no key."""
    try:
        return issuance.ensure_credential(cert, links_for)
    except keys.KeyProblem:
        return None
