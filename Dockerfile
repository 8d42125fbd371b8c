# One image for the web server, the Celery worker, Celery beat and the migrate step.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=riskboard.settings.production

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
# The code and static files belong to root: the unprivileged user below can read, never change them.
COPY . .
# collectstatic needs a key to import settings, and runs without a database: the base settings.
RUN DJANGO_SETTINGS_MODULE=riskboard.settings.base DJANGO_SECRET_KEY=collectstatic-only \
    python manage.py collectstatic --no-input

RUN useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin riskboard
USER 10001:10001
EXPOSE 8000
# Startup checks (the audit triggers) before any long-running process: deploy/entrypoint.sh.
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["gunicorn", "riskboard.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-tmp-dir", "/tmp"]
