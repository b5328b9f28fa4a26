"""Drift monitoring: reference profiles, drift checks and Evidently reports.

- :mod:`.profile` — :class:`~.profile.ReferenceProfile`, built from the training data
  once and stored (as JSON, never pickle) next to the model.
- :mod:`.drift` — :func:`~.drift.check_drift` compares current data with a profile and
  reproduces the verdicts of Evidently's ``DataDriftPreset`` without the reference data.
- :mod:`.report` — the full Evidently HTML/JSON report on bounded samples.

Nothing is imported here: pandas, scipy and Evidently load only when a submodule is
used, so importing the package stays cheap for the magics.
"""
