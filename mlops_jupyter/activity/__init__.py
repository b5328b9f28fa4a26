"""What is happening: the tracking status of this server's store and sessions, and
the recent outcomes (jobs, promotions, drift alerts) the sidebar turns into
notifications. Read-only; services only (no tornado)."""
