# syntax=docker/dockerfile:1
# Athena Pay application image: web (uvicorn, ASGI), Celery worker and beat, migrations.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so code changes reuse this layer. psycopg-binary brings its own libpq.
COPY requirements.txt requirements-kyc-nodeps.txt ./
RUN pip install -r requirements.txt \
    && pip install --no-deps -r requirements-kyc-nodeps.txt

# The code belongs to root and is read-only for the process; only var/ is writable.
# Static files are collected at build time (whitenoise serves them); settings are imported
# with throwaway values, and nothing is connected to while collecting.
COPY . .
RUN groupadd --system --gid 10001 athena \
    && useradd --system --uid 10001 --gid athena --home-dir /app --shell /usr/sbin/nologin athena \
    && DEBUG=true \
       SECRET_KEY=collectstatic-only \
       DATABASE_URL=postgres://build@localhost:5432/build \
       CELERY_BROKER_URL=memory:// \
       python manage.py collectstatic --no-input --verbosity 0 \
    && mkdir -p var/media var/beat \
    && chown -R athena:athena var/media var/beat

USER athena
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]

# HTTP; the ws service of docker-compose runs uvicorn (athena.asgi) for the websockets.
CMD ["gunicorn", "--config=deploy/gunicorn/gunicorn.conf.py", "athena.wsgi:application"]
