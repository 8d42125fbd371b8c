# One image for the web server, the Celery worker and the Celery beat scheduler.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=riskboard.settings.base

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs a key to import settings; it is not used at run time.
RUN DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input

RUN useradd --create-home riskboard
USER riskboard
EXPOSE 8000
CMD ["gunicorn", "riskboard.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
