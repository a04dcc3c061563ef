"""Where content lives: published revisions in the database, and how hosts follow them.

* :mod:`kaptrain.authoring.store`: blobs (by SHA-256, stored once), revisions,
  the published pointer and the content version counter; no rules, no commits.
* :mod:`kaptrain.authoring.checking`: the content checker run on files held in
  memory, beside the other published modules.
* :mod:`kaptrain.authoring.revisions`: publish, history, rollback, diff (the
  service that owns the transaction and the audit entry).
* :mod:`kaptrain.authoring.sync`: a host follows the published version (a cheap
  counter check at most once per ``KAPTRAIN_CONTENT_POLL_SECONDS``), writes the
  changed modules under ``instance/published`` and rebuilds its catalog.
* :mod:`kaptrain.authoring.transfer`: ``content import`` / ``export`` (files
  are the interchange format).

With ``KAPTRAIN_CONTENT_SOURCE=folder`` none of this runs: the site serves
``KAPTRAIN_MODULES_DIR`` directly, as before.
"""
