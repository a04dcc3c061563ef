"""Certificates of completion: when a module is complete, issuing exactly one,
looking one up by its verification code, and the PDF.

When a module is complete is a progress rule
(:func:`kaptrain.learning.progress.is_complete`: every required item done, the post-test
passed, the evaluation submitted). Issuing is idempotent: the unique (user,
module) constraint plus ``insert_ignore`` means a double event or two racing
requests leave one certificate.
"""

from __future__ import annotations

import io
import re
import secrets
import unicodedata
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from kaptrain.content import Module
from kaptrain.extensions import db
from kaptrain.learning.progress import is_complete, module_progress
from kaptrain.models import Certificate, User, utcnow
from kaptrain.platform.database import insert_ignore

# No 0/O, 1/I: codes are read aloud and typed from paper.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_RE = re.compile(r"^KT(-[A-HJ-NP-Z2-9]{4}){3}$")
FORMAT = "online, self-paced"
FONT_PATH = Path(__file__).resolve().parents[2] / "static" / "fonts" / "DejaVuSans.ttf"


def new_code() -> str:
    """A fresh verification code like ``KT-7K3M-Q9TX-4HPA`` (60 random bits)."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"KT-{chars[0:4]}-{chars[4:8]}-{chars[8:12]}"


def normalize_code(code: str) -> str | None:
    """The canonical form of a typed code, or None if it cannot be one."""
    code = code.strip().upper()
    return code if CODE_RE.match(code) else None


def issue_certificate_if_complete(user: User, module: Module) -> Certificate | None:
    """Issue the certificate once the module is complete; return it, or None.

    Runs in the caller's transaction (the calling service commits).
    """
    existing = certificate_for(user.id, module.id)
    if existing is not None:
        return existing
    if not is_complete(module, module_progress(user.id, module)):
        return None
    row = {
        "user_id": user.id,
        "module_id": module.id,
        "module_version": module.version,
        "module_title": module.title[:300],
        "trainee_name": user.name[:120],
        "ce_hours": module.ce_hours,
        "format": FORMAT,
        "provider_name": str(current_app.config["PROVIDER_NAME"])[:200],
        "provider_approval": str(current_app.config.get("PROVIDER_APPROVAL") or "")[
            :200
        ],
        "completed_at": utcnow(),
        "issued_at": utcnow(),
    }
    # A code collision (1 in 2^60) would make the insert a no-op; try a new code.
    for _ in range(5):
        insert_ignore(Certificate, {**row, "code": new_code()})
        existing = certificate_for(user.id, module.id)
        if existing is not None:
            return existing
    raise RuntimeError("could not issue a unique certificate code")


def certificate_for(user_id: int, module_id: str) -> Certificate | None:
    """The user's certificate for this module, if issued."""
    return db.session.execute(
        select(Certificate).where(
            Certificate.user_id == user_id, Certificate.module_id == module_id
        )
    ).scalar_one_or_none()


def certificate_by_code(code: str) -> Certificate | None:
    """The certificate with this verification code, or None for any other text."""
    canonical = normalize_code(code)
    if canonical is None:
        return None
    return db.session.execute(
        select(Certificate).where(Certificate.code == canonical)
    ).scalar_one_or_none()


def format_hours(hours: object) -> str:
    """CE hours without trailing zeros: ``1``, ``1.5``, ``2.25``."""
    text = f"{hours:f}" if not isinstance(hours, str) else hours
    return text.rstrip("0").rstrip(".") if "." in text else text


# Letters that do not decompose to a Latin-1 base letter plus an accent.
_NEAREST = str.maketrans(
    {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Œ": "OE", "œ": "oe", "ı": "i", "Ŀ": "L"}
)


def _latin1(text: str) -> str:
    """Text drawable with a core PDF font (Latin-1): keep what fits, strip accents
    Latin-1 lacks, and replace anything else, so no name can crash the PDF."""
    out = []
    for char in unicodedata.normalize("NFC", text.translate(_NEAREST)):
        if ord(char) < 256:
            out.append(char)
            continue
        base = "".join(
            c
            for c in unicodedata.normalize("NFKD", char)
            if not unicodedata.combining(c)
        )
        out.append(base if base and all(ord(c) < 256 for c in base) else "?")
    return "".join(out)


def _qr_png(url: str) -> io.BytesIO:
    import segno

    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    buffer.seek(0)
    return buffer


def _add_verification(
    pdf: Any,
    certificate: Certificate,
    verify_url: str,
    credential_json: str | None,
    clean: Any,
) -> None:
    """The QR code of the verify page, and the signed credential attached."""
    pdf.image(
        _qr_png(verify_url),
        x=pdf.w - 48,
        y=pdf.h - 48,
        w=32,
        h=32,
        alt_text=f"QR code of {verify_url}",
    )
    if credential_json is not None:
        pdf.embed_file(
            bytes=credential_json.encode("utf-8"),
            basename=f"credential-{certificate.code}.json",
            mime_type="application/json",
            desc="The signed Open Badges 3.0 credential of this certificate",
        )
        pdf.set_font(size=9)
        pdf.set_xy(16, pdf.h - 24)
        pdf.cell(
            text=clean(
                "The signed digital credential is attached to this PDF "
                f"(credential-{certificate.code}.json)."
            )
        )


def certificate_pdf(
    certificate: Certificate, verify_url: str, credential_json: str | None = None
) -> bytes:
    """The certificate as a one-page landscape PDF: a QR code of the verify page,
    and, when given, the signed credential attached as ``credential.json``."""
    # Imported on first use: fpdf2 brings Pillow, about 10 MB a worker that
    # never makes a PDF does not need.
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"Certificate of completion: {certificate.module_title}")
    pdf.set_author(certificate.provider_name)
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    if FONT_PATH.exists():
        pdf.add_font("DejaVu", "", str(FONT_PATH))
        family, clean = "DejaVu", str
    else:
        family, clean = "Helvetica", _latin1
    width = pdf.w - 2 * pdf.l_margin
    pdf.set_draw_color(31, 111, 107)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)

    def line(text: str, size: float, gap: float = 4) -> None:
        pdf.set_font(family, size=size)
        pdf.multi_cell(width, size * 0.5, clean(text), align="C")
        pdf.ln(gap)

    pdf.set_y(30)
    line("Certificate of completion", 28, 8)
    line("This certifies that", 13)
    line(certificate.trainee_name, 24, 6)
    line("completed the continuing education module", 13)
    line(certificate.module_title, 18, 2)
    line(f"Version {certificate.module_version}", 11, 8)
    details = [
        f"Completed: {certificate.completed_at:%Y-%m-%d}",
        f"CE hours: {format_hours(certificate.ce_hours)}",
        f"Format: {certificate.format}",
        f"Provider: {certificate.provider_name}",
    ]
    if certificate.provider_approval:
        details.append(certificate.provider_approval)
    for detail in details:
        line(detail, 12, 1)
    pdf.ln(8)
    line(f"Verification code: {certificate.code}", 12, 1)
    line(f"Verify at {verify_url}", 10, 0)
    _add_verification(pdf, certificate, verify_url, credential_json, clean)
    return bytes(pdf.output())
