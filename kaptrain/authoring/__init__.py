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

The studio (pages in :mod:`kaptrain.web.studio`) builds on these:

* :mod:`kaptrain.authoring.drafts`: an author's working copy of one module.
* :mod:`kaptrain.authoring.workspace`: the checker and preview run on a draft.
* :mod:`kaptrain.authoring.uploads`: upload limits, images, module zips.
* :mod:`kaptrain.authoring.reviews`: submit, review, the two-person rule, publish.
* :mod:`kaptrain.authoring.rebase`: a stale draft brought up to date.

With ``KAPTRAIN_CONTENT_SOURCE=folder`` none of this runs: the site serves
``KAPTRAIN_MODULES_DIR`` directly, as before.
"""
