"""The runs workspace: one run's detail, its artifacts and executed notebooks.

Above :mod:`mlops_jupyter.tracking` (listing), the registry (versions a run produced)
and scheduling/monitoring tags (what a run belongs to).
"""
