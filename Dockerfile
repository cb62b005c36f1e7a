# Sispam application image: one image for web (ASGI), worker and beat; configured by env only.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY sispam ./sispam
COPY core ./core
COPY personnel ./personnel
COPY operations ./operations
COPY incidents ./incidents
RUN pip install --no-cache-dir .
COPY . .
# Collected as production serves them (DEBUG off: hashed names and the manifest the pages
# read); the key and database are placeholders, collectstatic connects to neither.
RUN mkdir -p var && DEBUG=0 SECRET_KEY=collectstatic-only-placeholder-key-not-used-at-run-time-000 \
    ALLOWED_HOSTS=localhost DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput -v 0
RUN useradd --system --home /app sispam && chown -R sispam /app/var
USER sispam
EXPOSE 8000
CMD ["uvicorn", "sispam.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--no-proxy-headers", "--loop", "uvloop", "--http", "httptools", "--ws-per-message-deflate", "false", "--no-access-log"]
