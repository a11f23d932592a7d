# DocDesk in one container: the worker and the Streamlit app, data in the /data volume.
FROM python:3.11-slim-bookworm

WORKDIR /app
COPY scripts/install-system.sh scripts/install-system.sh
RUN scripts/install-system.sh && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
RUN python -m venv .venv && .venv/bin/pip install --no-cache-dir --no-deps -r requirements.txt

COPY . .
ENV DOCDESK_DATA_DIR=/data OMP_THREAD_LIMIT=1 PYTHONUNBUFFERED=1
VOLUME /data
EXPOSE 8501
CMD ["bash", "-c", ".venv/bin/python cli.py db upgrade && .venv/bin/python cli.py users ensure-admin && exec scripts/run.sh"]
