# Production-shaped image: gunicorn serves the web app; the same image runs the worker and beat.

# Front-end assets: the TipTap editor bundled by esbuild, and Chart.js, into static/build/.
FROM node:20-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY static_src/ static_src/
RUN npm run build

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml ./
COPY scripts/requirements.py scripts/
RUN python scripts/requirements.py > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

COPY . .
COPY --from=assets /build/static/build/ static/build/
RUN DEBUG=0 python manage.py collectstatic --no-input -v0 \
    && useradd --create-home okuru && mkdir -p var && chown -R okuru var
USER okuru

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
