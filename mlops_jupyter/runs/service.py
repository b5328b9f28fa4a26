"""The runs workspace as one service object with typed replies (:mod:`.contracts`)."""

from __future__ import annotations

from pathlib import Path

from ..tracking import store
from . import artifacts, detail
from .contracts import OpenNotebookReply, RunDetail


class RunsService:
    """One run's detail, artifacts and notebooks, over the configured tracking store.

    Args:
        root_dir: the server root (notebooks are opened inside it).
    """

    def __init__(self, root_dir: Path | str) -> None:
        self.root_dir = Path(root_dir)

    def run_detail(self, run_id: str) -> RunDetail:
        """Everything the Run view shows (see :func:`.detail.run_detail`).

        Raises:
            UsageError: a malformed id; NotFoundError: no such run.
        """
        return RunDetail.model_validate(detail.run_detail(run_id, self.root_dir))

    def artifact(self, run_id: str, path: str) -> tuple[bytes, str, bool]:
        """The bytes of artifact ``path``, its media type and whether it shows inline.

        Raises:
            UsageError: a malformed id or path; NotFoundError: no such run or file;
            ArtifactTooLargeError: over the download limit.
        """
        client = store.client()
        detail.get_run(client, run_id)
        data = artifacts.read_bytes(client, run_id, artifacts.check_path(path))
        media_type, inline = artifacts.content_type(path)
        return data, media_type, inline

    def open_notebook(self, run_id: str, path: str) -> OpenNotebookReply:
        """Put the run's notebook artifact ``path`` into the server root.

        Raises:
            UsageError: a malformed id or path, not a notebook; NotFoundError: no
            such run or artifact.
        """
        client = store.client()
        run = detail.get_run(client, run_id)
        return OpenNotebookReply(path=artifacts.open_notebook(
            client, run_id, path, self.root_dir, detail.workspace_notebook(self.root_dir, run)))
