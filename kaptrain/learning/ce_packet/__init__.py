"""The CE audit packet: what a sponsor files for an audit of one module.

``build_packet(module)`` returns the files by name: ``packet.pdf`` (every table
below, readable), one CSV per table (activity: audience, level, time estimate
and how it was computed; planners and disclosures; objectives; references; the
post-test with its key and pass mark; item statistics; evaluation results;
completion roster; time on task), and ``sample_certificate.pdf`` (the
certificate as a completer receives it, for a made-up trainee, never stored).
``flask --app kaptrain ce packet MODULE --out DIR`` writes them to a folder;
admins download them as a zip from /admin/ce.
"""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

from flask import current_app

from kaptrain.content import Module
from kaptrain.learning.ce_packet.data import PacketData, gather
from kaptrain.learning.ce_packet.pdf import packet_pdf
from kaptrain.learning.ce_packet.tables import TABLES, to_csv
from kaptrain.learning.certificates import certificate_pdf
from kaptrain.learning.course import current_catalog
from kaptrain.models import Certificate
from kaptrain.platform.urls import absolute_url

SAMPLE_CODE = "SAMPLE-NOT-ISSUED"


def _sample_certificate(data: PacketData) -> bytes:
    module, config = data.module, data.config
    sample = Certificate(
        code=SAMPLE_CODE,
        user_id=0,
        module_id=module.id,
        module_version=module.version,
        module_title=module.title,
        trainee_name="Sample Trainee (specimen, not issued)",
        ce_hours=Decimal(module.ce_hours),
        format="online, self-paced",
        provider_name=config.get("PROVIDER_NAME", ""),
        provider_approval=config.get("PROVIDER_APPROVAL", ""),
        completed_at=data.generated_at,
    )
    try:
        verify = absolute_url("learn.verify", code=SAMPLE_CODE)
    except RuntimeError:  # no request and no KAPTRAIN_BASE_URL (the CLI)
        verify = f"this site's /verify/{SAMPLE_CODE}"
    return certificate_pdf(sample, verify)


def build_packet(module: Module) -> dict[str, bytes]:
    """Every file of the packet for ``module``, by file name."""
    data = gather(module, current_catalog(), dict(current_app.config))
    files = {"packet.pdf": packet_pdf(data)}
    for name, (_title, build) in TABLES.items():
        files[name] = to_csv(build(data))
    files["sample_certificate.pdf"] = _sample_certificate(data)
    return files


def packet_zip(module: Module) -> bytes:
    """The packet as a zip archive, in a folder named after the module."""
    buffer = io.BytesIO()
    folder = f"ce-packet-{module.id}-{module.version}"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in build_packet(module).items():
            archive.writestr(f"{folder}/{name}", content)
    return buffer.getvalue()
