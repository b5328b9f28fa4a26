"""``mlops models promote|rollback|lineage`` end to end, as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def mlops(home, *args):
    env = dict(os.environ, MLOPS_JUPYTER_HOME=str(home))
    # MLFLOW_TRACKING_URI is inherited: the store the test filled (see mlops_home)
    return subprocess.run([sys.executable, "-m", "mlops_jupyter.cli", "models", *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def test_promote_through_the_gate_rollback_and_lineage(registry_home, registered):
    registered(metrics={"accuracy": 0.95})
    registered(metrics={"accuracy": 0.97})
    first = mlops(registry_home, "promote", "iris", "1", "--threshold", "accuracy >= 0.9")
    assert first.returncode == 0 and "promoted" in first.stdout
    refused = mlops(registry_home, "promote", "iris", "2", "--threshold", "accuracy >= 0.99",
                    "--json")
    assert refused.returncode == 1
    verdict = json.loads(refused.stdout)
    assert verdict["promoted"] is False and verdict["verdict"]["reasons"]
    second = mlops(registry_home, "promote", "iris", "2", "--threshold", "accuracy >= 0.9")
    assert second.returncode == 0, second.stderr
    for reason in ([], ["--reason", "  "]):  # a rollback needs a reason: nothing moves
        refused_back = mlops(registry_home, "rollback", "iris", *reason)
        assert refused_back.returncode == 2 and refused_back.stderr == (
            "mlops: error: a rollback needs a reason (one line): say why the version is "
            "taken back\n"), refused_back.stderr
    back = mlops(registry_home, "rollback", "iris", "--reason", "regression in prod")
    assert back.returncode == 0 and "v2 -> v1 (rollback)" in back.stdout
    tree = mlops(registry_home, "lineage", "iris@champion")
    assert tree.returncode == 0 and tree.stdout.startswith("iris v1 [champion]")
    data = json.loads(mlops(registry_home, "lineage", "iris/2", "--json").stdout)
    assert data["model"]["version"] in ("2", 2)
    listed = json.loads(mlops(registry_home, "list", "--json").stdout)
    assert [m["name"] for m in listed] == ["iris"]
    assert listed[0]["aliases"] == {"champion": "1"}
    assert [str(v["version"]) for v in listed[0]["versions"]] == ["2", "1"]
    text = mlops(registry_home, "list").stdout
    assert text.startswith("iris  (2 versions) @champion=v1") and "accuracy=0.97" in text


def test_bad_input_is_one_line(registry_home, registered):
    registered(metrics={"accuracy": 0.95})
    for args, fragment in [
        (["promote", "iris", "1", "--force"], "--force requires a reason"),
        (["promote", "iris", "1", "--threshold", "accuracy >>= 1"], "malformed gate expression"),
        (["promote", "ghost", "1"], "ghost"),
        (["lineage", "iris/9"], "no version 9"),
        (["rollback", "iris"], "no previous holder"),
    ]:
        result = mlops(registry_home, *args)
        assert result.returncode in (1, 2), args
        assert result.stderr.startswith("mlops: error: ") and fragment in result.stderr, args
        assert result.stderr.count("\n") == 1, result.stderr
