"""Admin: the CE audit packet of each module, as a zip download."""

from __future__ import annotations

from flask import Response, abort, render_template
from flask.typing import ResponseReturnValue

from kaptrain.extensions import db
from kaptrain.learning.ce_packet import packet_zip
from kaptrain.learning.course import current_catalog
from kaptrain.models import ADMIN
from kaptrain.people import audit
from kaptrain.people.access import roles_required
from kaptrain.people.accounts import current_account
from kaptrain.platform.database import begin_write
from kaptrain.web.admin.views import bp


@bp.get("/ce")
@roles_required(ADMIN)
def ce_packets() -> ResponseReturnValue:
    """Every module with a link to its audit packet."""
    return render_template("admin/ce.html", modules=current_catalog().modules)


@bp.get("/ce/<module_id>.zip")
@roles_required(ADMIN)
def ce_packet(module_id: str) -> ResponseReturnValue:
    """The module's packet (PDF, CSVs, sample certificate) as a zip."""
    module = current_catalog().get(module_id)
    if module is None:
        abort(404)
    # The roster names trainees: the download is audited before it is built.
    begin_write()
    audit.record("export", actor=current_account(), detail=f"ce packet {module.id}")
    db.session.commit()
    body = packet_zip(module)
    name = f"ce-packet-{module.id}-{module.version}.zip"
    return Response(
        body,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
