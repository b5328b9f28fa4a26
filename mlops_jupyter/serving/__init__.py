"""Serving: the champion behind an HTTP endpoint that follows its alias, logs every
prediction and A/B-tests the challenger (``mlops serve``)."""
