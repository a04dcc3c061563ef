"""Item kinds as plug-ins: one folder per kind (lesson, quiz, vignette,
evaluation), each declaring a :class:`kaptrain.kinds.base.Kind`, listed once in
:data:`kaptrain.kinds.registry.KINDS`.

A kind folder holds its declaration (``__init__``: name, words, requirement
text, facts), ``facts.py`` (how its records become progress facts), its service
(the learner writes, all through :func:`kaptrain.learning.unit_of_work.learner_write`)
and ``views.py`` (its page and actions). :mod:`kaptrain.kinds.page` turns the
registry into routes of the learn blueprint and holds the one decorator every
kind view uses. Shared record helpers are in :mod:`kaptrain.kinds.records`.

This package imports nothing on its own, so the progress model can read the
declarations without importing a view.
"""
