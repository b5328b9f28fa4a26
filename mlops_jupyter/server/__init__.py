"""The Jupyter server extension: REST handlers under ``/mlops-jupyter/``."""
