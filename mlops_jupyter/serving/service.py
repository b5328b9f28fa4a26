"""Deployments as one service object, for the REST handlers: typed replies of
:mod:`mlops_jupyter.serving.deployments` (:mod:`mlops_jupyter.serving.contracts`)."""

from __future__ import annotations

from . import deployments
from .contracts import (
    DeploymentList,
    StartDeploymentRequest,
    StartedDeployment,
    StoppedDeployment,
)

DEFAULT_ALIAS = "champion"


class DeploymentsService:
    """List, start and stop the endpoints recorded under the mlops-jupyter home."""

    def list_deployments(self) -> DeploymentList:
        """Every running endpoint (see :func:`deployments.list_deployments`)."""
        return DeploymentList(deployments=deployments.list_deployments())

    def start(self, request: StartDeploymentRequest) -> StartedDeployment:
        """Start an endpoint and wait until it answers (see :func:`deployments.start`)."""
        return StartedDeployment(**deployments.start(
            request.model, request.alias or DEFAULT_ALIAS, port=request.port,
            challenger=request.challenger, split=float(request.split or 0.0),
            shadow=request.shadow))

    def stop(self, identifier: str) -> StoppedDeployment:
        """Stop an endpoint gracefully (see :func:`deployments.stop`)."""
        return StoppedDeployment(**deployments.stop(identifier))
