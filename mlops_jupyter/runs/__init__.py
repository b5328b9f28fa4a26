"""The runs workspace: search, one run's detail, its artifacts and executed notebooks,
comparison and diff of runs (read-only services).

Above :mod:`mlops_jupyter.tracking` (listing), the registry (versions a run produced)
and scheduling/monitoring tags (what a run belongs to).
"""
