# syntax=docker/dockerfile:1

FROM python:3.13-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt

FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    PORT=8000
RUN useradd --create-home --uid 10001 clinic \
    && mkdir -p /app/media /app/spool \
    && chown clinic:clinic /app/media /app/spool \
    && chmod 700 /app/spool
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --chown=clinic:clinic . /app
RUN DJANGO_SECRET_KEY=collectstatic-only-not-a-real-secret-key-0123456789abcdef \
    DJANGO_ALLOWED_HOSTS=build SITE_URL=https://build.invalid \
    python manage.py collectstatic --no-input
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-m", "core.healthcheck"]
CMD ["gunicorn", "clinic_site.wsgi", "--config", "gunicorn.conf.py"]
