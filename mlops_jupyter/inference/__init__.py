"""The inference log: every prediction a serving endpoint answered, appended as
Parquet files partitioned by model/date/hour (:mod:`.log`, rows built by :mod:`.rows`),
read back as a window joined with the feedback labels (:mod:`.logbook`) and compared
across the A/B variants (:mod:`.abtest`).

It sits below the registry, monitoring and serving: the gate's live rule, live drift
checks, the endpoint and the dashboards all read or write it, and it imports none of
them (nor MLflow).
"""
