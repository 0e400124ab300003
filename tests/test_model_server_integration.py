"""`brandloop model-server` on the real embedded model, and `brandloop run` against it through both clients
(separate processes on loopback). The server's data home is BRANDLOOP_HOME (or ./.brandloop) as for every
integration test; the runs write into a temporary home."""
import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import EXAMPLES, ROOT
from tests.servers import free_port

pytestmark = pytest.mark.integration

BRANDLOOP = [sys.executable, "-m", "brandloop"]


@pytest.fixture(scope="module")
def model_server(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("model-server") / "server.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with open(log, "wb") as out:
        proc = subprocess.Popen([*BRANDLOOP, "model-server", "--model", "small", "--port", str(port)], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 900  # a first start converts the model
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"brandloop model-server exited {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        else:
            pytest.fail("brandloop model-server did not answer within 15 minutes")
        yield url, env
    finally:
        proc.terminate()
        proc.wait(30)


def _run(model_spec: str, env: dict, home) -> dict:
    r = subprocess.run([*BRANDLOOP, "--home", str(home), "run", str(EXAMPLES / "northwind_search.yaml"), "--model",
                        model_spec, "-n", "1", "-k", "1", "--max-new-tokens", "64", "--temperature", "0", "--json",
                        "-q"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)


def _check(result: dict) -> None:
    assert result["status"] == "completed" and len(result["variants"]) == 1
    v = result["variants"][0]
    assert v["critique"] and v["delivered"] in ("approved", "below_threshold", "failed")
    if v["delivered"] != "failed":
        assert all(len(h) <= 30 for h in v["fields"]["headline"])


def test_run_through_openai_client_with_the_servers_guided_regex(model_server, tmp_path):
    url, env = model_server
    result = _run(f"openai:{url}#small?guided=vllm", env, tmp_path / "home")
    _check(result)
    assert result["model_info"]["engine"] == "remote" and result["model_info"]["tokens_out"] > 0
    health = httpx.get(url.removesuffix("/v1") + "/health").json()
    assert health["requests"] > 0 and health["completion_tokens"] > 0


def test_run_through_hf_endpoint_client(model_server, tmp_path):
    url, env = model_server
    # huggingface_hub's offline mode blocks the endpoint too (test_llm_integration sets it for the whole session)
    env = {k: v for k, v in env.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    _check(_run(f"hf-endpoint:{url.removesuffix('/v1')}", env, tmp_path / "home"))
