"""JupyterHub's internal_ssl with servers on compute nodes: mutual TLS hub <-> proxy <-> node."""

import ssl
import urllib.error
import urllib.request

import pytest
import requests

from .harness import SSL_JOB_PREFIX, Hub, notebook_jobs, run, wait_for


@pytest.fixture(scope="module")
def ssl_hub(cluster):
    h = Hub(name="test-hub-ssl", port_offset=200, job_prefix=SSL_JOB_PREFIX,
            FUNICULAR_INTERNAL_SSL=1, FUNICULAR_IDLE_TIMEOUT=0)
    with h.running():
        yield h
    wait_for(lambda: not notebook_jobs("alice", SSL_JOB_PREFIX), 15, "jobs to end")


def test_server_on_a_node_speaks_only_mutual_tls(ssl_hub):
    assert ssl_hub.spawn("alice").status_code in (201, 202)
    server = ssl_hub.wait_ready("alice")
    state = server["state"]
    # through the proxy (which holds the internal client certificate) all works
    s = ssl_hub.login("alice")
    lab = s.get(ssl_hub.url + "user/alice/lab", timeout=60)
    assert lab.status_code == 200 and "JupyterLab" in lab.text
    info = s.get(ssl_hub.url + "user/alice/funicular/api/info", timeout=30).json()
    assert info["hostname"] in ("mc1", "mc2")

    host, port = state["host"], state["port"]
    # plain HTTP to the node is not served
    try:
        served = requests.get(f"http://{host}:{port}/user/alice/api", timeout=10).ok
    except requests.RequestException:
        served = False
    assert not served
    # TLS that trusts the internal CA but presents no client certificate is refused
    ca = ssl_hub.dir / "internal-ssl/notebooks-ca_trust.crt"
    ctx = ssl.create_default_context(cafile=str(ca))
    with pytest.raises((ssl.SSLError, urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(f"https://{host}:{port}/user/alice/api", context=ctx,
                               timeout=10).read()
    # the server's certificate names the node's address; its key stays private to alice
    pem = run("openssl", "s_client", "-connect", f"{host}:{port}", check=False, input="",
              timeout=20).stdout
    san = run("openssl", "x509", "-noout", "-ext", "subjectAltName", input=pem).stdout
    assert f"IP Address:{host}" in san and "DNS:mc1" in san and "DNS:gpu1" in san
    key = run("stat", "-c", "%U %a", "/home/alice/.funicular/test-servers/default/ssl/key.pem")
    assert key.stdout.split() == ["alice", "600"]
