# A small image that serves the API; point DATABASE_URL at PostgreSQL in production.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md alembic.ini ./
COPY app ./app
COPY matching ./matching
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --wheel-dir /wheels -c constraints.txt .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 ridni
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels ridni && rm -rf /wheels
USER ridni
WORKDIR /home/ridni
ENV PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["ridni", "serve", "--host", "0.0.0.0", "--port", "8000"]
