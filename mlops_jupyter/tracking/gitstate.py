"""Git state of the working directory: commit, branch, dirty flag, diff.

Runs ``git`` in subprocesses, so it is called from the background writer, never on
the cell's thread.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

MAX_DIFF_BYTES = 1 << 20
_TIMEOUT_S = 10


@dataclass(frozen=True)
class GitState:
    """What a run records about the repository it ran in."""

    commit: str
    branch: str
    dirty: bool
    diff: str
    diff_truncated: bool

    def tags(self) -> dict[str, str]:
        """The MLflow tags for this state (``mlflow.source.git.commit`` is MLflow's own)."""
        return {
            "mlflow.source.git.commit": self.commit,
            "mlops.git.commit": self.commit,
            "mlops.git.branch": self.branch,
            "mlops.git.dirty": str(self.dirty).lower(),
            "mlops.git.diff_truncated": str(self.diff_truncated).lower(),
        }


def _git(cwd: str, *args: str) -> str | None:
    try:
        completed = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0:
        return None
    return completed.stdout.decode("utf-8", errors="replace")


def read_git_state(cwd: str) -> GitState | None:
    """Git state of the repository containing ``cwd``; None outside a repository."""
    commit = _git(cwd, "rev-parse", "HEAD")
    if commit is None:
        return None
    branch = (_git(cwd, "rev-parse", "--abbrev-ref", "HEAD") or "").strip()
    # Only tracked files: untracked data dumps and checkpoints are not "the code".
    status = _git(cwd, "status", "--porcelain", "--untracked-files=no") or ""
    diff = _git(cwd, "diff", "HEAD", "--no-color", "--no-ext-diff") or ""
    truncated = len(diff.encode()) > MAX_DIFF_BYTES
    if truncated:
        diff = diff.encode()[:MAX_DIFF_BYTES].decode("utf-8", errors="ignore")
    return GitState(commit=commit.strip(), branch=branch, dirty=bool(status.strip()),
                    diff=diff, diff_truncated=truncated)
