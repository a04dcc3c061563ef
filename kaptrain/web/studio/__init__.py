"""The authoring studio: write, check, preview, review and publish modules in the
browser (views in views.py, editor_views.py, preview_views.py, review_views.py,
history_views.py; rules in kaptrain.authoring)."""
