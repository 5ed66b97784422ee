# One image for every process of the district profile (see docker-compose.yml). Pango and a CJK font:
# WeasyPrint draws the PDF reports with them.
FROM node:20-slim AS static
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei && rm -rf /var/lib/apt/lists/*
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
COPY --from=static /build/node_modules/echarts/dist/echarts.min.js static/vendor/echarts/
COPY --from=static /build/node_modules/leaflet.markercluster/dist/leaflet.markercluster.js \
     /build/node_modules/leaflet.markercluster/dist/leaflet.markercluster.js.map \
     /build/node_modules/leaflet.markercluster/dist/MarkerCluster.css \
     /build/node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css static/vendor/markercluster/
# collectstatic needs settings; a throwaway var dir keeps the generated key out of the image.
RUN DCC_VAR_DIR=/tmp/build python manage.py collectstatic --noinput -v0 && rm -rf /tmp/build
RUN useradd --system --uid 1000 dcc && mkdir -p /app/var && chown dcc /app/var
USER dcc
EXPOSE 8000 8001
CMD ["gunicorn", "command_center.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4"]
