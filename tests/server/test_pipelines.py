"""``/mlops-jupyter/pipelines``: list, show, run (a real background pipeline run with
real kernels), create — and every path a request names stays inside the server root."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from mlops_jupyter.pipelines import contracts
from mlops_jupyter.pipelines.launcher import PipelineLauncher
from mlops_jupyter.server.pipelines import LAUNCHER_SETTING
from tests.magics.helpers import stop_flushers
from tests.pipelines.helpers import write_notebook
from tests.server.authorization import read_only_authorizer, with_authorizer

RUN_TIMEOUT_S = 120

PIPELINE_YAML = """\
name: tiny
experiment: tiny-pipeline
steps:
  - name: make
    notebook: make.ipynb
    parameters: {n: 3}
    outputs: {numbers: out/numbers.txt}
  - name: total
    notebook: total.ipynb
    needs: [make]
    parameters: {numbers_path: "${steps.make.outputs.numbers}"}
    outputs: {total: out/total.txt}
"""

MAKE_CODE = """\
from pathlib import Path
Path("out").mkdir(exist_ok=True)
Path("out/numbers.txt").write_text("\\n".join(str(i) for i in range(n)))
"""

TOTAL_CODE = """\
from pathlib import Path
total = sum(int(line) for line in Path(numbers_path).read_text().split())
Path("out/total.txt").write_text(str(total))
"""


def write_project(folder: Path, yaml_text: str = PIPELINE_YAML) -> Path:
    write_notebook(folder / "make.ipynb", "n = 2", [MAKE_CODE])
    write_notebook(folder / "total.ipynb", 'numbers_path = ""', [TOTAL_CODE])
    (folder / "pipeline.yaml").write_text(yaml_text)
    return folder / "pipeline.yaml"


def write_single_step(folder: Path, name: str, code: str) -> Path:
    write_notebook(folder / f"{name}.ipynb", "x = 1", [code])
    (folder / "pipeline.yaml").write_text(
        f"name: {name}\nsteps:\n  - name: {name}\n    notebook: {name}.ipynb\n")
    return folder / "pipeline.yaml"


@pytest.fixture
def root(jp_root_dir, mlops_home) -> Path:
    """The server root with the tiny pipeline in ``proj/``; runs use the test's home."""
    write_project(jp_root_dir / "proj")
    yield jp_root_dir
    if (mlops_home / "spool").is_dir():
        stop_flushers(mlops_home / "spool")


@pytest.fixture
def launcher(jp_serverapp):
    launcher = jp_serverapp.web_app.settings[LAUNCHER_SETTING]
    yield launcher
    launcher.stop_all()  # a failed test must not leave a pipeline running


def contract_of(method: str, parts: tuple[str, ...]):
    """The declared model of a successful answer (mlops_jupyter.pipelines.contracts)."""
    if not parts:
        return contracts.PipelineList
    if parts[0] == "runs":
        return contracts.RunStarted if method == "POST" else contracts.PipelineRun
    return {"detail": contracts.PipelineDetail, "init": contracts.PipelineCreated,
            "history": contracts.PipelineHistory}[parts[0]]


@pytest.fixture
def api(jp_fetch):
    async def call(*parts: str, method: str = "GET", body=None, params=None, **kwargs):
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        response = await jp_fetch("mlops-jupyter", "pipelines", *parts, method=method,
                                  body=body, params=params, **kwargs)
        answer = json.loads(response.body)
        contract_of(method, parts).model_validate(answer)  # the declared shape, exactly
        return response.code, answer

    return call


async def error_of(call) -> tuple[int, dict]:
    with pytest.raises(HTTPClientError) as caught:
        await call
    return caught.value.code, json.loads(caught.value.response.body)


async def wait_for_run(api, run_id: str, path: str, until=("FINISHED", "FAILED")) -> dict:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        _, status = await api("runs", run_id, params={"path": path})
        if status["status"] in until:
            return status
        await asyncio.sleep(0.3)
    pytest.fail(f"run {run_id} did not end in {RUN_TIMEOUT_S} s (last: {status})")


def steps_of(status: dict) -> dict[str, dict]:
    return {step["name"]: step for step in status["steps"]}


# --------------------------------------------------------------------- listing
async def test_lists_pipeline_files_and_skips_the_rest(api, root, tmp_path):
    (root / "config.yaml").write_text("learning_rate: 0.1\n")
    (root / "notes.yml").write_text("- steps\n- more\n")
    (root / "broken").mkdir()
    (root / "broken" / "pipeline.yml").write_text(
        "name: broken\nsteps:\n  - name: a\n    notebook: missing.ipynb\n")
    for hidden in (".hidden", "node_modules", ".mlops", ".ipynb_checkpoints", ".venv"):
        write_project(root / hidden)
    outside = write_project(tmp_path / "outside")
    (root / "linked.yaml").symlink_to(outside)

    code, body = await api()

    assert code == 200
    assert [entry["path"] for entry in body["pipelines"]] == [
        "broken/pipeline.yml", "proj/pipeline.yaml"]
    broken, tiny = body["pipelines"]
    assert tiny == {"path": "proj/pipeline.yaml", "name": "tiny", "steps": 2,
                    "last_run": None, "error": None}
    assert broken["name"] == "broken"
    assert "'missing.ipynb' does not exist" in broken["error"]
    assert str(tmp_path) not in json.dumps(body)
    assert body["truncated"] is False


async def test_listing_is_bounded_in_depth(api, root):
    deep = root.joinpath(*[f"d{i}" for i in range(10)])
    write_project(deep)

    _, body = await api()

    assert [entry["path"] for entry in body["pipelines"]] == ["proj/pipeline.yaml"]
    assert body["truncated"] is True


# ---------------------------------------------------------------------- detail
async def test_detail_shows_the_dag_and_cache_state(api, root):
    code, body = await api("detail", params={"path": "proj/pipeline.yaml"})

    assert code == 200
    assert body["name"] == "tiny" and body["experiment"] == "tiny-pipeline"
    assert body["path"] == "proj/pipeline.yaml" and body["project"] == "proj"
    assert body["last_run"] is None and body["active_run"] is None
    make, total = body["steps"]
    assert (make["name"], make["needs"], make["cache"]) == ("make", [], "will run")
    assert (total["name"], total["needs"], total["cache"]) == ("total", ["make"], "will run")
    assert total["notebook_path"] == "proj/total.ipynb"
    # What the Run dialog offers: the notebook's declared parameters, the spec's values.
    assert make["parameters"] == [{"name": "n", "type": "int", "source": "step", "value": 3,
                                   "notebook_default": "2", "help": None}]
    assert total["parameters"] == [{
        "name": "numbers_path", "type": "str", "source": "step",
        "value": "${steps.make.outputs.numbers}", "notebook_default": '""', "help": None}]


async def test_detail_of_an_invalid_spec_lists_its_problems(api, root):
    (root / "proj" / "bad.yaml").write_text(
        "name: bad\nsteps:\n  - name: a\n    notebook: make.ipynb\n    needs: [zzz]\n")

    code, body = await error_of(api("detail", params={"path": "proj/bad.yaml"}))

    assert code == 400
    assert "unknown step 'zzz'" in body["error"]
    assert str(root) not in body["error"]


# ------------------------------------------------------------------------- runs
async def test_run_in_background_then_cached(api, root, launcher, mlops_home):
    code, body = await api("runs", method="POST", body={"path": "proj/pipeline.yaml"})
    assert code == 202
    run_id = body["run_id"]

    status = await wait_for_run(api, run_id, "proj/pipeline.yaml")

    assert status["status"] == "FINISHED", status
    assert status["file"] == "proj/pipeline.yaml"
    assert status["run_dir"] == f"proj/mlops-runs/{run_id}"
    steps = steps_of(status)
    assert [steps[n]["status"] for n in ("make", "total")] == ["FINISHED", "FINISHED"]
    assert steps["total"]["needs"] == ["make"]
    assert steps["total"]["duration"] > 0
    output = steps["total"]["output_notebook_path"]
    assert output == f"proj/mlops-runs/{run_id}/total.ipynb"
    assert (root / output).is_file()
    assert (root / "proj" / "out" / "total.txt").read_text() == "3"  # 0 + 1 + 2
    assert (root / "proj" / "mlops-runs" / run_id / "server-run.log").is_file()
    assert str(root) not in json.dumps(status)
    # The background process used the test's home, not the user's.
    assert (mlops_home / "spool").is_dir()

    _, listing = await api()
    assert listing["pipelines"][0]["last_run"] == {"run_id": run_id, "status": "FINISHED"}
    _, detail = await api("detail", params={"path": "proj/pipeline.yaml"})
    assert [row["cache"] for row in detail["steps"]] == ["cached", "cached"]
    assert [row["last_status"] for row in detail["steps"]] == ["FINISHED", "FINISHED"]

    _, body = await api("runs", method="POST", body={"path": "proj/pipeline.yaml"})
    second = await wait_for_run(api, body["run_id"], "proj/pipeline.yaml")

    assert second["status"] == "FINISHED"
    assert [s["status"] for s in second["steps"]] == ["CACHED", "CACHED"]
    assert steps_of(second)["make"]["output_notebook_path"] == \
        f"proj/mlops-runs/{run_id}/make.ipynb"

    _, body = await api("runs", method="POST",
                        body={"path": "proj/pipeline.yaml", "force": True, "only": ["make"],
                              "params": {"make": {"n": 5}}})
    forced = await wait_for_run(api, body["run_id"], "proj/pipeline.yaml")
    assert [s["status"] for s in forced["steps"]] == ["FINISHED", "NOT_SELECTED"]
    assert steps_of(forced)["make"]["parameters"] == {"n": 5}


async def test_a_failing_step_reports_its_error(api, root, launcher):
    write_single_step(root / "failing", "boom", "raise ValueError('bad input')")

    _, body = await api("runs", method="POST", body={"path": "failing/pipeline.yaml"})
    status = await wait_for_run(api, body["run_id"], "failing/pipeline.yaml")

    assert status["status"] == "FAILED"
    error = steps_of(status)["boom"]["error"]
    assert (error["ename"], error["evalue"]) == ("ValueError", "bad input")


async def test_a_run_its_notebook_refuses_is_400_before_it_starts(api, root, launcher):
    # Valid YAML, but the notebook takes no parameter 'zzz': checked like the CLI's
    # run does, before answering, so nothing starts and no run folder is left.
    write_single_step(root / "refused", "step", "pass")
    spec = root / "refused" / "pipeline.yaml"
    spec.write_text(spec.read_text() + "    parameters: {zzz: 1}\n")

    code, error = await error_of(api("runs", method="POST",
                                     body={"path": "refused/pipeline.yaml"}))

    assert code == 400
    assert "zzz" in error["error"] and str(root) not in error["error"]
    assert launcher.runs() == []
    assert not (root / "refused" / "mlops-runs").exists() or not any(
        (root / "refused" / "mlops-runs").iterdir())


async def test_a_second_concurrent_run_is_refused(api, root, launcher):
    write_single_step(root / "slow", "slow", "import time\ntime.sleep(120)")

    _, body = await api("runs", method="POST", body={"path": "slow/pipeline.yaml"})
    first = body["run_id"]
    code, error = await error_of(api("runs", method="POST", body={"path": "slow/pipeline.yaml"}))

    assert code == 409
    assert first in error["error"]
    _, detail = await api("detail", params={"path": "slow/pipeline.yaml"})
    assert detail["active_run"] == first
    # Another pipeline may run meanwhile.
    code, _ = await api("runs", method="POST", body={"path": "proj/pipeline.yaml"})
    assert code == 202

    assert launcher.stop(first)
    code, _ = await api("runs", method="POST", body={"path": "slow/pipeline.yaml"})
    assert code == 202


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "the request body must be JSON"),
        ('["proj/pipeline.yaml"]', "the request body must be a JSON object"),
        ({"path": 3}, "path must be a string"),
        ({"path": "proj/pipeline.yaml", "force": "yes"}, "force must be true or false"),
        ({"path": "proj/pipeline.yaml", "only": "make"}, "only must be a list"),
        ({"path": "proj/pipeline.yaml", "only": [1]}, "only must be a list of step names"),
        ({"path": "proj/pipeline.yaml", "params": {"make": 1}}, "params must map step"),
        ({"path": "proj/pipeline.yaml", "params": {"nope": {"n": 1}}}, "unknown step 'nope'"),
        ({"path": "proj/pipeline.yaml", "params": {"make": {"a b": 1}}}, "'a b'"),
        ({"path": "proj/pipeline.yaml", "only": ["nope"]}, "unknown step 'nope'"),
        ({"path": "proj/pipeline.yaml", "only": ["make"], "from": "make"}, "not both"),
        ({"path": "proj/pipeline.yaml", "token": "x"}, "unknown field 'token'"),
        ({}, "path must be a non-empty path"),
        ({"path": "proj/make.ipynb"}, "is not a pipeline file"),
    ],
)
async def test_bad_run_requests_are_400(api, root, launcher, body, message):
    code, error = await error_of(api("runs", method="POST", body=body))

    assert code == 400
    assert message in error["error"]
    assert launcher.runs() == []


async def test_unknown_runs_are_404(api, root):
    code, body = await error_of(api("runs", "20260101-000000-abcdef",
                                    params={"path": "proj/pipeline.yaml"}))

    assert code == 404
    assert body == {"error": "no run 20260101-000000-abcdef of this pipeline"}


async def test_a_scheduled_job_is_not_a_run_of_the_pipeline_beside_it(api, root):
    """A scheduled job of make.ipynb is a one-step pipeline whose step is named
    "make", like the first step of the never-run pipeline.yaml beside it: the
    pipeline must not show the job's status or output notebook as its own."""
    from mlops_jupyter.scheduling.job_process import run_job
    from mlops_jupyter.scheduling.schedules import build_schedule
    from mlops_jupyter.scheduling.store import JobStore

    store = JobStore()  # the test's home
    try:
        schedule = store.add_schedule(build_schedule(
            str(root / "proj" / "make.ipynb"), "0 * * * *", name="make-hourly"))
        job = store.create_job(schedule, "manual", "test")
        assert run_job(job["id"], store) == "SUCCEEDED"
        finished = store.job(job["id"])
    finally:
        store.close()

    _, listing = await api()
    assert listing["pipelines"][0]["last_run"] is None
    _, detail = await api("detail", params={"path": "proj/pipeline.yaml"})
    assert detail["last_run"] is None
    assert [(row["last_status"], row["last_output_notebook_path"])
            for row in detail["steps"]] == [(None, None), (None, None)]
    code, _ = await error_of(api("runs", f"job-{job['id']}",
                                 params={"path": "proj/pipeline.yaml"}))
    assert code == 404
    # The job's outputs are kept in a folder of their own.
    job_dir = root / "proj" / "mlops-jobs" / f"job-{job['id']}"
    assert Path(finished["run_dir"]) == job_dir
    assert finished["outputs"] == [str(job_dir / "make.ipynb")]
    assert not (root / "proj" / "mlops-runs").exists()


async def test_each_pipeline_file_shows_only_its_own_runs(api, root, launcher):
    """Two pipeline files in one folder: running one leaves the other never run."""
    (root / "proj" / "other.yaml").write_text(
        "name: other\nsteps:\n  - name: make\n    notebook: make.ipynb\n"
        "    outputs: {numbers: out/numbers.txt}\n")
    _, body = await api("runs", method="POST", body={"path": "proj/other.yaml"})
    status = await wait_for_run(api, body["run_id"], "proj/other.yaml")
    assert status["status"] == "FINISHED"

    _, detail = await api("detail", params={"path": "proj/pipeline.yaml"})
    assert detail["last_run"] is None
    assert [row["last_output_notebook_path"] for row in detail["steps"]] == [None, None]
    code, _ = await error_of(api("runs", body["run_id"],
                                 params={"path": "proj/pipeline.yaml"}))
    assert code == 404
    _, other = await api("detail", params={"path": "proj/other.yaml"})
    assert other["last_run"]["run_id"] == body["run_id"]
    assert other["steps"][0]["last_output_notebook_path"] == \
        f"proj/mlops-runs/{body['run_id']}/make.ipynb"


# ---------------------------------------------------------------------- history
def fake_run(root: Path, run_id: str, started: float, *, folder: str = "mlops-runs",
             file: str = "proj/pipeline.yaml", status: str = "FINISHED",
             steps: list[dict] | None = None) -> None:
    """A run folder as the runner leaves it (status.json is the record of a run)."""
    run_dir = root / "proj" / folder / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "status.json").write_text(json.dumps({
        "pipeline": "tiny", "file": str(root / file), "run_id": run_id,
        "run_dir": str(run_dir), "status": status, "started": started,
        "ended": started + 5, "steps": steps or []}))


async def test_history_lists_runs_newest_first_with_failures_and_triggers(api, root,
                                                                            launcher):
    write_single_step(root / "flaky", "flaky", "import os\n"
                      "if not os.path.exists('ok'):\n"
                      "    open('ok', 'w').close()\n"
                      "    raise RuntimeError('first time fails')")
    _, body = await api("runs", method="POST", body={"path": "flaky/pipeline.yaml"})
    failed = await wait_for_run(api, body["run_id"], "flaky/pipeline.yaml")
    _, body = await api("runs", method="POST", body={"path": "flaky/pipeline.yaml"})
    ok = await wait_for_run(api, body["run_id"], "flaky/pipeline.yaml")
    assert (failed["status"], ok["status"]) == ("FAILED", "FINISHED")

    code, history = await api("history", params={"path": "flaky/pipeline.yaml"})

    assert code == 200
    assert [run["run_id"] for run in history["runs"]] == [ok["run_id"], failed["run_id"]]
    newest, oldest = history["runs"]
    assert (newest["status"], newest["trigger"], newest["ok"], newest["failed"]) == \
        ("FINISHED", "manual", 1, 0)
    assert (oldest["status"], oldest["failed"], oldest["steps_total"]) == ("FAILED", 1, 1)
    step = oldest["steps"][0]
    assert step["error"].startswith("RuntimeError: first time fails")
    assert oldest["error"].startswith("step flaky failed: RuntimeError: first time fails")
    assert step["output_notebook_path"] == f"flaky/mlops-runs/{failed['run_id']}/flaky.ipynb"
    assert newest["duration"] > 0
    assert (history["total"], history["has_more"]) == (2, False)
    assert str(root) not in json.dumps(history)
    # The MLflow runs are written by the background flusher: they show up.
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        _, history = await api("history", params={"path": "flaky/pipeline.yaml"})
        if all(run["mlflow_run_id"] and run["steps"][0]["mlflow_run_id"]
               for run in history["runs"]):
            break
        await asyncio.sleep(0.5)
    ids = {run["mlflow_run_id"] for run in history["runs"]} | \
        {run["steps"][0]["mlflow_run_id"] for run in history["runs"]}
    assert len(ids) == 4 and None not in ids


async def test_history_pages_and_keeps_other_files_and_jobs_apart(api, root):
    for index in range(7):
        fake_run(root, f"20260101-00000{index}-aaaaaa", 1_700_000_000 + index * 60)
    fake_run(root, "job-3", 1_700_000_000 + 150, folder="mlops-jobs", status="FAILED",
             steps=[{"name": "make", "status": "FAILED", "reason": "the kernel died",
                     "error": {"ename": "DeadKernelError", "evalue": "died"}},
                    {"name": "total", "status": "SKIPPED"}])
    fake_run(root, "20260101-000009-bbbbbb", 1_700_009_000, file="proj/other.yaml")
    fake_run(root, "job-4", 1_700_009_000, folder="mlops-jobs", file="proj/make.ipynb")

    _, first = await api("history", params={"path": "proj/pipeline.yaml", "limit": "3"})
    _, second = await api("history", params={"path": "proj/pipeline.yaml", "limit": "3",
                                             "offset": "3"})
    _, last = await api("history", params={"path": "proj/pipeline.yaml", "limit": "3",
                                           "offset": "6"})

    listed = [run["run_id"] for page in (first, second, last) for run in page["runs"]]
    assert listed == ["20260101-000006-aaaaaa", "20260101-000005-aaaaaa",
                      "20260101-000004-aaaaaa", "20260101-000003-aaaaaa", "job-3",
                      "20260101-000002-aaaaaa", "20260101-000001-aaaaaa",
                      "20260101-000000-aaaaaa"]
    assert (first["has_more"], last["has_more"], first["total"]) == (True, False, 8)
    job = second["runs"][1]
    assert (job["trigger"], job["failed"], job["steps_total"]) == ("scheduled", 1, 2)
    assert job["steps"][0]["error"] == "DeadKernelError: died"
    assert job["steps"][1]["status"] == "SKIPPED"


@pytest.mark.parametrize(("params", "status", "message"), [
    ({}, 400, "path is required"),
    ({"path": "proj/pipeline.yaml", "limit": "0"}, 400, "limit"),
    ({"path": "proj/pipeline.yaml", "limit": "51"}, 400, "limit"),
    ({"path": "proj/pipeline.yaml", "limit": "ten"}, 400, "limit"),
    ({"path": "proj/pipeline.yaml", "offset": "-1"}, 400, "offset"),
    ({"path": "../etc/passwd"}, 400, ""),
    ({"path": "proj/nothing.yaml"}, 404, ""),
    ({"path": "proj/make.ipynb"}, 400, "not a pipeline file"),
])
async def test_bad_history_requests(api, root, params, status, message):
    code, error = await error_of(api("history", params=params))

    assert code == status
    assert message in error["error"] and "\n" not in error["error"]
    assert str(root) not in error["error"]


async def test_history_reads_a_bounded_number_of_run_folders(api, root):
    from mlops_jupyter.pipelines.history import MAX_SCANNED

    for index in range(MAX_SCANNED + 3):
        fake_run(root, f"20260101-{index:06d}-cccccc", 1_700_000_000 + index)

    _, history = await api("history", params={"path": "proj/pipeline.yaml", "limit": "50"})

    assert (history["total"], history["truncated"], history["has_more"]) == \
        (MAX_SCANNED, True, True)
    assert len(history["runs"]) == 50
    assert history["runs"][0]["run_id"] == f"20260101-{MAX_SCANNED + 2:06d}-cccccc"


async def test_history_of_a_never_run_pipeline_is_empty(api, root):
    _, history = await api("history", params={"path": "proj/pipeline.yaml"})

    assert history == {"runs": [], "offset": 0, "limit": 10, "total": 0,
                       "has_more": False, "truncated": False}


# ------------------------------------------------------------------------- init
async def test_init_writes_a_pipeline_beside_the_notebook(api, root):
    write_notebook(root / "study" / "train model.ipynb", "alpha = 0.5\nname = 'x'", ["pass"])

    code, body = await api("init", method="POST", body={"notebook": "study/train model.ipynb"})

    assert code == 201
    assert body["path"] == "study/pipeline.yaml"
    assert "notebook: train model.ipynb" in body["text"]
    assert (root / "study" / "pipeline.yaml").read_text() == body["text"]
    _, detail = await api("detail", params={"path": "study/pipeline.yaml"})
    assert [row["name"] for row in detail["steps"]] == ["train_model"]

    code, error = await error_of(
        api("init", method="POST", body={"notebook": "study/train model.ipynb"}))
    assert code == 409
    assert error == {"error": "study/pipeline.yaml already exists; open it instead"}


@pytest.mark.parametrize(
    ("body", "status"),
    [({"notebook": "proj/pipeline.yaml"}, 400), ({"notebook": "proj/none.ipynb"}, 404),
     ({"notebook": ["x"]}, 400)],
)
async def test_init_refuses_what_is_not_a_notebook(api, root, body, status):
    code, _ = await error_of(api("init", method="POST", body=body))

    assert code == status


# -------------------------------------------------------------------- security
ATTACKS = [
    "/etc/passwd",
    "../outside/pipeline.yaml",
    "proj/../../outside/pipeline.yaml",
    "proj/../..",
    "%2e%2e/outside/pipeline.yaml",           # arrives encoded twice
    "..%2foutside%2fpipeline.yaml",
    "%2E%2E%5Coutside",
    "proj/pipeline.yaml\x00.ipynb",
    "~/pipeline.yaml",
    "escape/pipeline.yaml",                   # a symlinked folder leading out
    "escape.yaml",                            # a symlinked file leading out
    "",
]


@pytest.fixture
def hostile_root(root, tmp_path):
    outside = tmp_path / "outside"
    write_project(outside)
    (root / "escape").symlink_to(outside)
    (root / "escape.yaml").symlink_to(outside / "pipeline.yaml")
    write_notebook(outside / "secret.ipynb", "x = 1", ["pass"])
    return root


def assert_safe(code: int, body: dict, tmp_path: Path) -> None:
    assert code in (400, 404), body
    text = json.dumps(body)
    assert str(tmp_path) not in text and "/etc" not in text and "/root" not in text
    assert set(body) == {"error"}


@pytest.mark.parametrize("attack", ATTACKS)
async def test_hostile_paths_are_refused_everywhere(api, hostile_root, tmp_path, attack,
                                                    launcher):
    requests = [
        api("detail", params={"path": attack}),
        api("runs", method="POST", body={"path": attack}),
        api("runs", "20260101-000000-abcdef", params={"path": attack}),
        api("init", method="POST", body={"notebook": attack}),
        api("init", method="POST", body={"notebook": attack.replace("pipeline.yaml",
                                                                    "secret.ipynb")}),
    ]
    for request in requests:
        code, body = await error_of(request)
        assert_safe(code, body, tmp_path)
    assert launcher.runs() == []
    assert not (tmp_path / "outside" / ".mlops").exists()


@pytest.mark.parametrize(
    "raw",
    [
        "detail?path=%2e%2e%2foutside%2fpipeline.yaml",
        "detail?path=%2Fetc%2Fpasswd",
        "detail?path=proj%2F..%2F..%2Foutside%2Fpipeline.yaml",
        "detail?path=proj%00",
        "runs/..%2F..%2Fetc?path=proj%2Fpipeline.yaml",
        "runs/%2e%2e?path=proj%2Fpipeline.yaml",
    ],
)
async def test_single_encoded_traversal_is_refused(http_server_client, jp_base_url,
                                                   jp_auth_header, hostile_root, tmp_path, raw):
    url = f"{jp_base_url}mlops-jupyter/pipelines/{raw}"

    with pytest.raises(HTTPClientError) as caught:
        await http_server_client.fetch(url, headers=jp_auth_header)

    body = caught.value.response.body.decode()
    assert caught.value.code in (400, 404)
    assert str(tmp_path) not in body and "/etc" not in body


ENDPOINTS = [
    ("GET", ("",), None),
    ("GET", ("detail",), {"path": "proj/pipeline.yaml"}),
    ("POST", ("runs",), None),
    ("GET", ("runs", "20260101-000000-abcdef"), {"path": "proj/pipeline.yaml"}),
    ("POST", ("init",), None),
]


@pytest.mark.parametrize(("method", "parts", "params"), ENDPOINTS)
async def test_anonymous_requests_are_forbidden(jp_fetch, root, launcher, method, parts,
                                                params):
    body = json.dumps({"path": "proj/pipeline.yaml", "notebook": "proj/make.ipynb"}) \
        if method == "POST" else None

    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("mlops-jupyter", "pipelines", *parts, method=method, body=body,
                       params=params, headers={"Authorization": ""})

    assert caught.value.code == 403
    assert launcher.runs() == []
    assert not (root / "proj" / ".mlops").exists()


# ---------------------------------------------------------------- authorization
class TestReadOnlyUser:
    """A user who may look at pipelines, not run them or write pipeline files."""

    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        return with_authorizer(jp_server_config, read_only_authorizer("mlops_pipelines"))

    async def test_can_list_but_not_run_or_create(self, api, root, launcher):
        write_notebook(root / "study" / "train.ipynb", "alpha = 0.5", ["pass"])
        _, listing = await api()
        assert [entry["path"] for entry in listing["pipelines"]] == ["proj/pipeline.yaml"]
        _, detail = await api("detail", params={"path": "proj/pipeline.yaml"})
        assert detail["name"] == "tiny"

        for parts, body, action in ((("runs",), {"path": "proj/pipeline.yaml"}, "execute"),
                                    (("init",), {"notebook": "study/train.ipynb"}, "write")):
            code, error = await error_of(api(*parts, method="POST", body=body))
            assert code == 403
            assert error == {"error": f"User is not authorized to {action} on resource: "
                                      "mlops_pipelines."}
        assert launcher.runs() == []
        assert not (root / "study" / "pipeline.yaml").exists()
        assert not (root / "proj" / "mlops-runs").exists()


# ------------------------------------------------------------ swapped services
class BusyLauncher(PipelineLauncher):
    """A deployment's own launcher: every pipeline is busy with run "elsewhere"."""

    def active_run(self, pipeline: Path) -> str | None:
        return "elsewhere"


class TestSwappedLauncher:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        return {**jp_server_config,
                "MLOpsExtensionApp": {**jp_server_config["MLOpsExtensionApp"],
                                      "pipeline_launcher_class": BusyLauncher}}

    async def test_the_handlers_use_the_configured_class(self, api, root, jp_serverapp):
        assert type(jp_serverapp.web_app.settings[LAUNCHER_SETTING]) is BusyLauncher

        _, detail = await api("detail", params={"path": "proj/pipeline.yaml"})

        assert detail["active_run"] == "elsewhere"
