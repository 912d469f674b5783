# syntax=docker/dockerfile:1
# One image for the user code (gRPC code server, deploy/k8s/values.yaml), the webserver, the daemon and the
# Celery workers (docker-compose.yaml): they differ only by command.
#   docker build -t registry.acme.internal/infranaut-pipelines:1.0.0 .
# The install is the one CI tests (tests/shipping/test_wheel.py): build the wheel, install the wheel.
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
# Only what the wheel is built from (.dockerignore keeps the rest of the checkout out of the context).
COPY pyproject.toml README.md MANIFEST.in ./
COPY build_support/ build_support/
COPY dbt_project/ dbt_project/
COPY infranaut_pipelines/ infranaut_pipelines/
# The wheel build parses dbt_project/ and ships it with its manifest inside the package.
RUN pip wheel --no-deps -w /dist .
RUN python -m venv /opt/venv && /opt/venv/bin/pip install /dist/*.whl

FROM python:${PYTHON_VERSION}-slim
RUN groupadd --gid 10001 dagster && useradd --uid 10001 --gid 10001 --home-dir /opt/dagster --create-home dagster
COPY --from=build /opt/venv /opt/venv
# Instance and worker configuration of the production profile (every value comes from the environment), and
# the workspace through which the webserver and the daemon reach the code server. Owned by root: read-only.
COPY deploy/production/dagster.yaml deploy/production/celery.yaml /opt/dagster/home/
COPY deploy/compose/workspace.yaml /opt/dagster/workspace.yaml
# DAGSTER_HOME stays writable by the user (Dagster keeps local scratch files there); dbt's writable state goes
# to /tmp so it works even where DAGSTER_HOME is a read-only mount (the Helm chart mounts its ConfigMap there).
# /data: mount point of docker-compose.yaml's data volume (a fresh volume takes this folder's owner).
RUN chown dagster:dagster /opt/dagster/home && mkdir /data && chown dagster:dagster /data
ENV PATH=/opt/venv/bin:$PATH \
    DAGSTER_HOME=/opt/dagster/home \
    INFRANAUT_DBT_STATE_DIR=/tmp/infranaut-dbt \
    PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /opt/dagster
EXPOSE 3000 4000
CMD ["dagster", "code-server", "start", "-m", "infranaut_pipelines.definitions", "-a", "defs", "--location-name", "infranaut", "-h", "0.0.0.0", "-p", "4000"]
