"""The JSON-LD contexts credentials use, served from files in this package.

Signing and verifying canonicalise a credential with pyld, which resolves each
``@context`` URL through a document loader. :func:`document_loader` answers only
the exact URLs in :data:`CONTEXT_FILES` from the committed files and refuses every
other URL, so no credential can make kaptrain fetch anything from the network.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

CONTEXT_DIR = Path(__file__).resolve().parent / "contexts"

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
OB_V3_0_3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V3_0_0 = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
OB_V3_0_0_OLD_URL = "https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld"
DATA_INTEGRITY_V1 = "https://w3id.org/security/data-integrity/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"

#: Exact URL -> file in ``contexts/``. Versions are pinned by URL: Open Badges
#: 3.0.0 and 3.0.3 define terms differently, so each URL has its own file.
CONTEXT_FILES: dict[str, str] = {
    CREDENTIALS_V2: "credentials-v2.json",
    CREDENTIALS_V1: "credentials-v1.json",
    OB_V3_0_3: "ob-context-3.0.3.json",
    OB_V3_0_0: "ob-context-3.0.0.json",
    OB_V3_0_0_OLD_URL: "ob-context-3.0.0.json",
    DATA_INTEGRITY_V1: "data-integrity-v1.json",
    DATA_INTEGRITY_V2: "data-integrity-v2.json",
}

#: The contexts of every credential kaptrain issues, in order.
ISSUED_CONTEXT = [CREDENTIALS_V2, OB_V3_0_3]


class UnknownContext(ValueError):
    """A credential names a context kaptrain does not ship."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"The credential uses the JSON-LD context {url!r}, which this site "
            "does not know; it only reads the W3C credentials and Open Badges 3.0 "
            "contexts."
        )
        self.url = url


@cache
def _load(name: str) -> Any:
    return json.loads((CONTEXT_DIR / name).read_text(encoding="utf-8"))


def document_loader(url: str, options: Any = None) -> dict[str, Any]:
    """pyld's document loader: a shipped context, or :class:`UnknownContext`."""
    name = CONTEXT_FILES.get(url)
    if name is None:
        raise UnknownContext(str(url)[:200])
    return {"contextUrl": None, "documentUrl": url, "document": _load(name)}
