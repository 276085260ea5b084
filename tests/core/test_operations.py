"""The operations surface: health and readiness probes, Prometheus metrics, JSON logs with
request ids, and the production shape described by docker-compose.yml and deploy/."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from django.http import HttpResponse
from django.urls import path

from apps.core import health
from apps.core.logging import RequestIdFilter, current_request_id

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CLOSED_BROKER = "amqp://guest:guest@127.0.0.1:1//"


# A view that logs, for the request-id tests (mounted with @pytest.mark.urls(__name__)).
def _logging_view(request):
    logging.getLogger("athena.tests.view").warning("inside the view")
    return HttpResponse("ok")


urlpatterns = [path("log-something", _logging_view)]


class _Collect(logging.Handler):
    """A handler with the production filter on it, as settings.LOGGING's stdout handler."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def collect():
    handler = _Collect()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.fixture
def closed_broker(monkeypatch):
    from athena.celery import app

    original = app.conf.broker_url
    # Celery reads CELERY_BROKER_URL from the environment before its own setting.
    monkeypatch.setenv("CELERY_BROKER_URL", CLOSED_BROKER)
    app.conf.broker_url = CLOSED_BROKER
    yield
    app.conf.broker_url = original


# --- /healthz and /readyz --------------------------------------------------------------------


def test_healthz_is_200_and_touches_nothing(client):
    # No django_db mark: any database access (a session, a query) would fail this test.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_is_200_with_every_check_ok():
    from django.test import Client

    started = time.perf_counter()
    response = Client().get("/readyz")
    elapsed = time.perf_counter() - started
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert body["failing"] == []
    assert set(body["checks"]) == {"database", "cache", "broker"}
    for name, check in body["checks"].items():
        assert check["ok"] is True, (name, check)
        assert isinstance(check["ms"], float)
    assert body["checks"]["database"]["detail"].startswith("PostgreSQL ")
    assert elapsed < 2.0


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_the_broker_is_down(client, closed_broker):
    started = time.perf_counter()
    response = client.get("/readyz")
    elapsed = time.perf_counter() - started
    body = response.json()
    assert response.status_code == 503, body
    assert body["status"] == "not_ready"
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"]["ok"] is False
    assert "refused" in body["checks"]["broker"]["detail"].lower()
    assert "guest:guest" not in json.dumps(body)  # no credentials in the answer
    assert body["checks"]["database"]["ok"] and body["checks"]["cache"]["ok"]
    assert elapsed < 2.0  # one attempt, no retry sleep


@pytest.mark.django_db
def test_readyz_answers_503_in_time_when_a_check_hangs(client, settings, monkeypatch):
    settings.HEALTH_CHECK_TIMEOUT = 0.3

    def hang():
        time.sleep(2)
        return "never"

    monkeypatch.setitem(health.CHECKS, "cache", hang)
    started = time.perf_counter()
    response = client.get("/readyz")
    elapsed = time.perf_counter() - started
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["cache"]
    assert "timed out" in body["checks"]["cache"]["detail"]
    assert elapsed < 1.5


@pytest.mark.django_db
def test_readyz_never_answers_500(client, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("probe machinery broke")

    monkeypatch.setattr(health, "run_checks", explode)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "not_ready"


def test_a_failing_database_is_reported_not_raised(monkeypatch):
    def broken():
        raise OSError("connection to server failed")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    monkeypatch.setitem(health.CHECKS, "broker", lambda: "stub")
    checks = health.run_checks(timeout=1.0)
    assert checks["database"] == {
        "ok": False,
        "ms": checks["database"]["ms"],
        "detail": "OSError: connection to server failed",
    }
    assert checks["cache"]["ok"] and checks["broker"]["ok"]


def test_filesystem_broker_folders_are_checked(tmp_path):
    folder = tmp_path / "queue"
    health._check_filesystem_broker({"data_folder_in": str(folder), "data_folder_out": str(folder)})
    assert folder.is_dir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):  # root ignores permissions
            pytest.skip("running as root: permissions are not enforced")
        with pytest.raises(PermissionError):
            health._check_filesystem_broker({"data_folder_in": str(folder)})
    finally:
        folder.chmod(0o700)


@pytest.mark.django_db
def test_probes_are_exempt_from_the_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


# --- /metrics --------------------------------------------------------------------------------


def test_metrics_are_prometheus_text(client):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "django_http_requests_total" in text
    assert re.search(r"^# TYPE django_http_requests_total_by_method_total counter$", text, re.M)
    assert re.search(r'^django_http_responses_total_by_status_total\{status="200"\} \d', text, re.M)


# --- Request ids and the access log ----------------------------------------------------------


def test_request_id_is_echoed_and_carried_by_the_access_log(client, collect, caplog):
    caplog.set_level(logging.INFO, logger="athena.request")
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc12345xyz")
    assert response["X-Request-ID"] == "abc12345xyz"

    access = [r for r in caplog.records if r.name == "athena.request"]
    assert len(access) == 1
    record = access[0]
    assert record.levelno == logging.INFO
    assert record.request_id == "abc12345xyz"
    assert record.method == "GET"
    assert record.path == "/healthz"
    assert record.status == 200
    assert isinstance(record.duration_ms, float) and record.duration_ms >= 0
    assert record.user_id is None
    assert record.getMessage().startswith("GET /healthz 200 ")
    assert current_request_id() == ""  # unbound after the request


@pytest.mark.urls(__name__)
def test_records_logged_during_a_request_carry_its_id(client, collect):
    response = client.get("/log-something", HTTP_X_REQUEST_ID="abc12345xyz")
    assert response.status_code == 200
    inside = [r for r in collect.records if r.name == "athena.tests.view"]
    assert [r.request_id for r in inside] == ["abc12345xyz"]

    # Outside a request, the id is null.
    logging.getLogger("athena.tests.view").warning("outside")
    assert collect.records[-1].request_id is None


def test_a_missing_or_malformed_request_id_is_replaced(client):
    generated = client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\r\nSet-Cookie: x=1")
    assert forged["X-Request-ID"] != "bad id\r\nSet-Cookie: x=1"
    assert re.fullmatch(r"[0-9a-f]{32}", forged["X-Request-ID"])


@pytest.mark.django_db
def test_the_access_log_names_the_signed_in_user(client, caplog):
    from apps.core.models import User

    user = User.objects.create_user(username="ana", email="ana@example.com", password="x-123")
    client.force_login(user)
    caplog.set_level(logging.INFO, logger="athena.request")
    client.get("/admin/", HTTP_X_REQUEST_ID="req-with-user-1")
    record = next(r for r in caplog.records if r.name == "athena.request")
    assert record.user_id == user.pk
    assert record.request_id == "req-with-user-1"


def test_json_log_lines_from_the_configured_logging():
    """settings.LOGGING, in a fresh process: one JSON object per line on stdout."""
    script = (
        "import logging, django; django.setup()\n"
        "from apps.core.logging import bind_request_id\n"
        "log = logging.getLogger('athena.check')\n"
        "log.info('plain line')\n"
        "bind_request_id('abc12345xyz')\n"
        "log.warning('two\\nlines', extra={'amount_cents': 1050})\n"
        "try:\n"
        "    1 / 0\n"
        "except ZeroDivisionError:\n"
        "    log.exception('with a traceback')\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "athena.settings",
        "ATHENA_TESTING": "true",
        "DATABASE_URL": "postgres://nobody@localhost:1/never_connected",
        "LOG_LEVEL": "INFO",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    objects = [json.loads(line) for line in lines]  # every line is one JSON object
    ours = [o for o in objects if o.get("logger") == "athena.check"]
    assert [o["message"] for o in ours] == ["plain line", "two\nlines", "with a traceback"]
    for obj in ours:
        assert {"time", "level", "logger", "message", "request_id"} <= obj.keys()
        assert obj["time"]
    assert ours[0]["request_id"] is None
    assert ours[0]["level"] == "INFO"
    assert ours[1]["request_id"] == "abc12345xyz"
    assert ours[1]["level"] == "WARNING"
    assert ours[1]["amount_cents"] == 1050
    assert "ZeroDivisionError" in ours[2]["exc_info"]


# --- The production shape: docker-compose.yml and deploy/ ------------------------------------

APP_SERVICES = ("web", "ws", "worker", "beat")
APP_ENV = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "OIDC_RP_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET",
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _env(service: dict) -> dict:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return env


def test_compose_has_every_service_of_the_seed_architecture(compose):
    services = compose["services"]
    for name in ("nginx", "web", "worker", "beat", "rabbitmq", "keycloak", "prometheus"):
        assert name in services
    assert "grafana" in services
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert services["rabbitmq"]["image"].startswith("rabbitmq:3-management")
    assert services["keycloak"]["image"].startswith("quay.io/keycloak/keycloak")
    assert "--import-realm" in services["keycloak"]["command"]
    assert "start-dev" in services["keycloak"]["command"]
    assert any(
        "realm-athena.json" in volume and "/opt/keycloak/data/import" in volume
        for volume in services["keycloak"]["volumes"]
    )
    assert services["prometheus"]["image"].startswith("prom/prometheus")
    assert services["grafana"]["image"].startswith("grafana/grafana")


def test_compose_app_services_share_one_image_and_the_production_environment(compose):
    services = compose["services"]
    for name in (*APP_SERVICES, "migrate"):
        service = services[name]
        assert service["build"]["dockerfile"] == "Dockerfile"
        env = _env(service)
        for var in APP_ENV:
            assert env.get(var), (name, var)
        assert env["DEBUG"] == "false"
        assert "ATHENA_TESTING" not in env
        assert (
            env["DATABASE_URL"].startswith("postgres://")
            and "@postgres:5432/" in env["DATABASE_URL"]
        )
        assert env["REDIS_URL"].startswith("redis://") and "@redis:6379" in env["REDIS_URL"]
        assert env["CELERY_BROKER_URL"].startswith("amqp://")
        assert "@rabbitmq:5672" in env["CELERY_BROKER_URL"]
        # Secrets are never written into the file: compose requires them from the outside.
        for secret in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "OIDC_RP_CLIENT_SECRET"):
            assert env[secret].startswith("${") and ":?" in env[secret], secret
    # Prometheus scrapes web:8000 and ws:8000: Django must accept those Hosts, and the
    # worker processes of each must share one metrics registry.
    for name in ("web", "ws"):
        env = _env(services[name])
        assert name in env["ALLOWED_HOSTS"].split(",")
        assert env["PROMETHEUS_MULTIPROC_DIR"] in services[name]["tmpfs"]
    # HTTP under gunicorn (WSGI), one connection per process; websockets under uvicorn.
    assert services["web"]["command"][0] == "gunicorn"
    assert "athena.wsgi:application" in services["web"]["command"]
    assert "--config=deploy/gunicorn/gunicorn.conf.py" in services["web"]["command"]
    assert _env(services["web"])["DB_POOL_MAX_SIZE"] == "0"
    # The API host's mutual TLS: nginx passes the verified certificate, Django binds to it.
    assert _env(services["web"])["API_CLIENT_CERT_HEADER"] == "X-Client-Cert"
    assert "${API_HOST:-api.athena.example}" in _env(services["web"])["ALLOWED_HOSTS"]
    assert int(_env(services["web"])["DB_CONN_MAX_AGE"]) > 0
    assert "uvicorn" in services["ws"]["command"]
    assert "athena.asgi:application" in services["ws"]["command"]
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]
    assert services["beat"]["deploy"]["replicas"] == 1


def test_compose_services_have_healthchecks_and_volumes(compose):
    services = compose["services"]
    for name in (
        "nginx",
        "web",
        "worker",
        "postgres",
        "redis",
        "rabbitmq",
        "keycloak",
        "prometheus",
        "grafana",
    ):
        assert services[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    for volume in ("pgdata", "redisdata", "rabbitmqdata", "prometheusdata", "grafanadata"):
        assert volume in compose["volumes"]
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    nginx = services["nginx"]
    assert "443:443" in nginx["ports"]
    assert any(v.endswith(":/etc/nginx/nginx.conf:ro") for v in nginx["volumes"])
    assert any(":/etc/nginx/certs:ro" in v for v in nginx["volumes"])
    # Only the gateway is published to the world; consoles are bound to the host's loopback.
    for name, service in services.items():
        for port in service.get("ports", []):
            if name != "nginx":
                assert str(port).startswith("127.0.0.1:"), (name, port)


def test_every_file_compose_mounts_exists(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), (name, source)
    assert (ROOT / "Dockerfile").is_file()


def test_dockerfile_builds_a_non_root_image_with_static_files():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    assert "pip install -r requirements.txt" in text
    assert "collectstatic" in text
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert ".env" in (ROOT / ".dockerignore").read_text().split()


def test_keycloak_realm_export(compose):
    realm = json.loads((DEPLOY / "keycloak" / "realm-athena.json").read_text())
    assert realm["realm"] == "athena"
    assert realm["enabled"] is True
    roles = {role["name"] for role in realm["roles"]["realm"]}
    assert {"operator", "compliance_officer", "admin", "customer"} <= roles

    from apps.core import roles as athena_roles

    assert set(athena_roles.ALL_ROLES) <= roles  # the same names as the Django groups

    (client,) = [c for c in realm["clients"] if c["clientId"] == "athena-staff"]
    assert client["publicClient"] is False
    assert client["clientAuthenticatorType"] == "client-secret"
    assert client["secret"] == "${OIDC_RP_CLIENT_SECRET}"  # from the environment
    assert client["standardFlowEnabled"] is True
    assert client["implicitFlowEnabled"] is False
    assert client["directAccessGrantsEnabled"] is False
    assert client["redirectUris"]
    assert all(uri.endswith("/oidc/callback/") for uri in client["redirectUris"])
    assert all(uri.startswith("https://") for uri in client["redirectUris"])
    (mapper,) = [
        m
        for m in client["protocolMappers"]
        if m["protocolMapper"] == "oidc-usermodel-realm-role-mapper"
    ]
    config = mapper["config"]
    assert config["claim.name"] == "realm_access.roles"
    assert config["multivalued"] == "true"
    assert config["id.token.claim"] == "true"
    assert config["userinfo.token.claim"] == "true"
    # Keycloak resolves the placeholder from its own environment.
    assert _env(compose["services"]["keycloak"])["OIDC_RP_CLIENT_SECRET"]
    # Signing out of the admin comes back to its login page (apps.core.oidc.provider_logout).
    allowed = client["attributes"]["post.logout.redirect.uris"].split("##")
    assert "https://pay.athena.example/admin/login/" in allowed
    # A second factor for every staff account: TOTP set up at the first sign-in.
    actions = {action["alias"]: action for action in realm["requiredActions"]}
    assert actions["CONFIGURE_TOTP"]["enabled"] and actions["CONFIGURE_TOTP"]["defaultAction"]
    assert realm["otpPolicyType"] == "totp"


def test_nginx_config_shape():
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text()
    assert "ssl_certificate " in conf and "ssl_certificate_key " in conf
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in " ".join(conf.split())
    assert "Strict-Transport-Security" in conf
    zones = dict(re.findall(r"limit_req_zone\s+\S+\s+zone=(\w+):\S+\s+rate=(\S+);", conf))
    assert "api" in zones and "login" in zones
    assert zones["login"].endswith("r/m") and zones["api"].endswith("r/s")
    for header, value in (
        ("X-Forwarded-Proto", "$scheme"),
        ("X-Real-IP", "$remote_addr"),
        ("X-Request-ID", "$request_id"),
    ):
        assert re.search(rf"proxy_set_header\s+{header}\s+{re.escape(value)};", conf), header
    assert "server web:8000" in conf and "server ws:8000" in conf

    def block(location: str) -> str:
        match = re.search(rf"location {location}[^{{\n]*\{{(.*?)\n        \}}", conf, re.S)
        assert match, location
        return match.group(1)

    assert "limit_req zone=api" in block("/api/")
    login = block(r"~ \^/\(accounts/\(login")
    assert "limit_req zone=login" in login
    ws = block("/ws/")
    assert "Upgrade" in ws and "$connection_upgrade" in ws
    assert "proxy_pass http://athena_ws;" in ws
    # A location setting proxy headers inherits none: /ws/ repeats them all.
    for header in ("Host", "X-Forwarded-Proto", "X-Real-IP", "X-Request-ID"):
        assert re.search(rf"proxy_set_header\s+{header}\s", ws), header
    healthz = block("= /healthz")
    assert "limit_req" not in healthz and "limit_conn" not in healthz
    # Integrators reach API Pix on their own host, with a client certificate required; its
    # verified PEM is the only X-Client-Cert the application ever gets.
    api_host = conf[conf.index("server_name api.athena.example;") :]
    api_host = api_host[: api_host.index("# --- Staff identity provider")]
    assert "ssl_verify_client on;" in api_host
    assert "ssl_client_certificate /etc/nginx/certs/integrators-ca.pem;" in api_host
    assert "location = /oauth/token" in api_host and "location /api/pix/v2/" in api_host
    assert re.search(r"location / \{\s*return 404;", api_host)
    assert "proxy_set_header X-Client-Cert     $athena_client_cert;" in conf
    assert re.search(r"SUCCESS\s+\$ssl_client_escaped_cert;\s+default\s+\"\";", conf)
    assert 'proxy_set_header X-Client-Cert     "";' in ws
    assert "ssl_verify_client" not in conf[: conf.index("server_name api.athena.example;")]
    assert "return 404" in block(r"= /metrics")


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed here")
def test_nginx_config_is_accepted_by_nginx(tmp_path):
    """`nginx -t` on the real file, with a throwaway certificate and upstreams resolvable
    here (web, keycloak -> 127.0.0.1). Older nginx lacks `http2 on;` (1.25.1+): dropped."""
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=pay.athena.example",
            "-keyout",
            str(certs / "privkey.pem"),
            "-out",
            str(certs / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    # The integrators' CA of the API host: any certificate parses as one for `nginx -t`.
    (certs / "integrators-ca.pem").write_bytes((certs / "fullchain.pem").read_bytes())
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text()
    conf = conf.replace("/etc/nginx/certs", str(certs))
    conf = conf.replace("server web:8000", "server 127.0.0.1:8000")
    conf = conf.replace("server ws:8000", "server 127.0.0.1:8001")
    conf = conf.replace("server keycloak:8080", "server 127.0.0.1:8080")
    conf = conf.replace("pid /tmp/nginx.pid", f"pid {tmp_path}/nginx.pid")
    version = subprocess.run(["nginx", "-v"], capture_output=True, text=True, check=False)
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", version.stderr)
    if found and tuple(map(int, found.groups())) < (1, 25, 1):
        conf = conf.replace("http2 on;", "")
    (tmp_path / "nginx.conf").write_text(conf)
    result = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-e", "/dev/stderr"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_prometheus_scrapes_the_web_replicas():
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "athena-web"]
    assert job["metrics_path"] == "/metrics"
    targets = [t for static in job["static_configs"] for t in static["targets"]]
    assert targets == ["web:8000"]
    (ws_job,) = [j for j in config["scrape_configs"] if j["job_name"] == "athena-ws"]
    assert [t for static in ws_job["static_configs"] for t in static["targets"]] == ["ws:8000"]


def test_grafana_datasource_is_the_prometheus_service():
    config = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    (source,) = config["datasources"]
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    provider = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "dashboards" / "athena.yml").read_text()
    )
    folder = provider["providers"][0]["options"]["path"]
    assert folder == "/etc/grafana/dashboards"
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "athena-web.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    assert "django_http_responses_total_by_status_total" in exprs


def test_gunicorn_serves_the_wsgi_application_with_its_deploy_config(tmp_path):
    """deploy/gunicorn/gunicorn.conf.py as the web container runs it: JSON logs, /healthz."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_WORKERS": "1",
        "DJANGO_SETTINGS_MODULE": "athena.settings",
        "ATHENA_TESTING": "true",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config=deploy/gunicorn/gunicorn.conf.py",
            "athena.wsgi:application",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = json.loads(r.read())
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(0.2)
        assert body == {"status": "ok"}
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    records = [json.loads(line) for line in output.splitlines() if line.strip()]  # all JSON
    assert any(r["logger"] == "gunicorn.error" for r in records)
    assert any(r.get("path") == "/healthz" and r.get("status") == 200 for r in records)


def test_uvicorn_log_config_is_json():
    config = json.loads((DEPLOY / "uvicorn" / "logging.json").read_text())
    assert config["formatters"]["json"]["()"] == "pythonjsonlogger.json.JsonFormatter"
    assert config["loggers"]["uvicorn"]["handlers"] == ["stdout"]
