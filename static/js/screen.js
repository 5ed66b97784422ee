/* The wall screen (一屏统览).
 *
 * State comes from the snapshot (GET /api/v1/screen/snapshot) and is kept current by the socket
 * (ws/screen/). The server sends at most 10 frames a second, each carrying many events; the page
 * queues them and applies them once per animation frame. Every event carries its object's id and
 * version: stale ones are skipped, and a missing version, a server-reported gap or a reconnect
 * reloads the snapshot, so the page always converges to the database.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("screen-config").textContent);
  const labels = JSON.parse(document.getElementById("screen-labels").textContent);
  const CLOSED_CASE = new Set(config.final_case_statuses); // Case.Status.FINAL
  const CLEARED_ALARM = new Set(["cleared", "closed", "resolved", "acknowledged_cleared"]);
  const FEED_EVENTS = new Set([
    "alarm.raised", "alarm.cleared", "case.created", "case.filed", "case.dispatched", "case.handled",
    "case.verified", "case.closed", "case.overdue", "case.escalated", "case.reopened", "case.rejected",
  ]);
  const FEED_MAX = 40;
  const REFRESH_FIGURES_MS = 15000; // KPIs, charts and workers between events
  const REFRESH_STATIC_MS = 5 * 60000; // sensor points and tracks
  const RESYNC_MIN_GAP_MS = 2000; // at most one snapshot reload per 2 s however often gaps appear

  // What the page knows; tests read it through window.DCC.
  const state = {
    grids: new Map(), alarms: new Map(), cases: new Map(), workers: new Map(), gone: new Map(),
    kpis: {}, charts: {}, alarmsToday: 0, version: null, seqs: {}, alarmsTotal: 0, casesTotal: 0,
  };
  const stats = {
    frames: 0, hellos: 0, received: 0, events: 0, maxDrainMs: 0, applied: 0, stale: 0, resyncs: 0, snapshots: 0, beeps: 0, flashes: 0,
    lastResyncReason: "", connected: false, snapshotLoadedAt: 0,
  };
  // Panels with a box of their own (screen/panels.py): a script calls DCC.panel(name, render) and
  // render(section, labels) gets its snapshot section each time the snapshot or the figures load.
  const panels = new Map();
  function renderPanels(snap) {
    panels.forEach(function (render, name) {
      if (snap[name] !== undefined) render(snap[name], labels);
    });
  }
  window.DCC = {
    state: state, stats: stats, config: config,
    panel: function (name, render) { panels.set(name, render); },
  };

  /* ---- Coordinates: our data is WGS84; Chinese tile providers draw GCJ-02 (map.js). ---- */
  const project = DCCMap.projector(config.tiles_crs);
  const toMap = project.point;
  const geometryToMap = project.geometry;
  window.DCC.wgs84ToGcj02 = DCCMap.wgs84ToGcj02;
  window.DCC.toMap = toMap;

  /* ---- Small helpers ---- */
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function escapeHtml(value) {
    return String(value === undefined || value === null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function details(title, rows, extra) {
    let html = "<h3>" + escapeHtml(title) + "</h3><dl>";
    rows.forEach(function (row) {
      if (row[1] === undefined || row[1] === null || row[1] === "") return;
      html += "<dt>" + escapeHtml(row[0]) + "</dt><dd>" + escapeHtml(row[1]) + "</dd>";
    });
    return html + "</dl>" + (extra || "");
  }
  // Formatters made once: toLocale*String with options builds a new one per call, which a storm's
  // thousands of events a second cannot afford.
  const TZ = "Asia/Shanghai";
  const timeFormat = new Intl.DateTimeFormat("zh-CN", {
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: TZ,
  });
  const dateTimeFormat = new Intl.DateTimeFormat("zh-CN", {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    hour12: false, timeZone: TZ,
  });
  const dayFormat = new Intl.DateTimeFormat("zh-CN", { year: "numeric", month: "2-digit", day: "2-digit", timeZone: TZ });
  const numberFormat = new Intl.NumberFormat("zh-CN");
  function clockTime(iso) {
    return timeFormat.format(iso ? new Date(iso) : new Date());
  }
  function dateTime(iso) {
    return iso ? dateTimeFormat.format(new Date(iso)) : "";
  }
  function isToday(iso) {
    return iso ? dayFormat.format(new Date(iso)) === dayFormat.format(new Date()) : true;
  }
  function formatNumber(value) {
    return value === null || value === undefined ? "–" : numberFormat.format(Number(value));
  }
  function formatRate(value) {
    return value === null || value === undefined ? "–" : (value * 100).toFixed(1) + "%";
  }
  function formatDuration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    // Under a minute is "<1 min", not "0 min" (which reads as "nothing measured").
    if (seconds < 60) return "&lt;1<small>" + escapeHtml(labels.minutes) + "</small>";
    if (seconds < 3600) return Math.round(seconds / 60) + "<small>" + escapeHtml(labels.minutes) + "</small>";
    return (seconds / 3600).toFixed(1) + "<small>" + escapeHtml(labels.hours) + "</small>";
  }
  // The root font size (16 px at 1920×1080, 32 px at 4K): read once per resize, not per marker (each
  // read forces a style recalculation).
  let rem = 0;
  function remPx() {
    if (!rem) rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    return rem;
  }
  window.addEventListener("resize", function () { rem = 0; });

  /* ---- Sound: a Web Audio beep, no file to download. Browsers allow it after one click. ---- */
  let audio = null;
  const soundButton = document.getElementById("sound");
  function audioContext() {
    if (!audio) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return null;
      audio = new Ctx();
    }
    return audio;
  }
  function beep() {
    stats.beeps += 1;
    const ctx = audioContext();
    if (!ctx) return;
    if (ctx.state === "suspended") {
      soundButton.hidden = false;
      return;
    }
    const start = ctx.currentTime;
    [0, 0.28].forEach(function (offset) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "square";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.22);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.24);
    });
  }
  soundButton.addEventListener("click", function () {
    const ctx = audioContext();
    if (ctx) ctx.resume().then(function () { soundButton.hidden = true; });
  });
  document.addEventListener("click", function () {
    if (audio && audio.state === "suspended") audio.resume().then(function () { soundButton.hidden = true; });
  });

  /* ---- Map ---- */
  const map = L.map("map", {
    zoomControl: false, attributionControl: Boolean(config.tiles_url), preferCanvas: true,
    zoomSnap: 0.25, worldCopyJump: false,
  });
  const canvas = L.canvas({ padding: 0.3 });
  map.setView(toMap(config.center[0], config.center[1]), config.zoom);
  // The tiles, or the street's own roads, compounds and buildings when no tile server answers.
  window.DCC.base = DCCMap.base(map, {
    tilesUrl: config.tiles_url, basemapUrl: config.basemap_url, project: project, theme: "dark",
    attribution: "© OpenStreetMap",
  }).state;
  map.createPane("grids").style.zIndex = 350;
  map.createPane("tracks").style.zIndex = 380;
  const gridLayer = L.layerGroup().addTo(map);
  const compoundLayer = L.layerGroup().addTo(map);
  const trackLayer = L.layerGroup().addTo(map);
  const workerLayer = L.layerGroup().addTo(map);
  const pointCluster = L.markerClusterGroup({
    chunkedLoading: true, chunkInterval: 120, chunkDelay: 30, maxClusterRadius: 60, showCoverageOnHover: false,
    chunkProgress: function (processed, total, elapsed) {
      if (processed === total) stats.pointsLoadedMs = Math.round(elapsed);
    },
    spiderfyOnMaxZoom: false, disableClusteringAtZoom: 19, removeOutsideVisibleBounds: true,
    iconCreateFunction: function (cluster) {
      const n = cluster.getChildCount();
      const size = Math.round(remPx() * (n < 100 ? 1.6 : n < 1000 ? 2 : 2.4));
      return L.divIcon({ html: String(n), className: "point-cluster", iconSize: [size, size] });
    },
  }).addTo(map);
  const caseCluster = L.markerClusterGroup({
    chunkedLoading: true, maxClusterRadius: 45, showCoverageOnHover: false, disableClusteringAtZoom: 18,
    iconCreateFunction: function (cluster) {
      const size = Math.round(remPx() * 1.8);
      return L.divIcon({ html: String(cluster.getChildCount()), className: "case-cluster", iconSize: [size, size] });
    },
  }).addTo(map);
  const alarmCluster = L.markerClusterGroup({
    chunkedLoading: true, maxClusterRadius: 45, showCoverageOnHover: false, disableClusteringAtZoom: 18,
    iconCreateFunction: function (cluster) {
      const size = Math.round(remPx() * 2.2);
      return L.divIcon({ html: String(cluster.getChildCount()), className: "alarm-cluster", iconSize: [size, size] });
    },
  }).addTo(map);
  const markers = { alarm: new Map(), case: new Map(), worker: new Map() };
  const Z_OFFSET = { alarm: 2000, case: 1000, worker: 0 }; // an alarm stays on top of its own case
  const gridShapes = new Map();
  const gridStyle = {
    normal: { color: "#2fb7a0", fillColor: "#2fb7a0", fillOpacity: 0.1 },
    open: { color: "#3d8bff", fillColor: "#3d8bff", fillOpacity: 0.2 },
    overdue: { color: "#ffb020", fillColor: "#ffb020", fillOpacity: 0.26 },
    emergency: { color: "#ff2e4d", fillColor: "#ff2e4d", fillOpacity: 0.34 },
  };
  let fitted = false;

  function gridPopup(grid) {
    const link = config.grid
      ? ""
      : '<p><a href="?grid=' + encodeURIComponent(grid.id) + '">' + escapeHtml(labels.only_this_grid) + "</a></p>";
    return details(grid.name, [
      [labels.community, grid.community],
      [labels.state, labels.states[grid.state] || grid.state],
      [labels.open_cases, grid.open_cases],
      [labels.overdue, grid.overdue],
      [labels.alarms, grid.alarms],
      [labels.workers, (grid.workers || []).join("、") || labels.none],
    ], link);
  }

  function drawGrids(grids, compounds) {
    gridLayer.clearLayers();
    compoundLayer.clearLayers();
    gridShapes.clear();
    state.grids.clear();
    grids.forEach(function (grid) {
      state.grids.set(grid.id, grid);
      const shape = L.geoJSON(geometryToMap(grid.boundary), {
        pane: "grids", style: Object.assign({ weight: 2, opacity: 0.9 }, gridStyle[grid.state] || gridStyle.normal),
      });
      shape.bindPopup(function () { return gridPopup(state.grids.get(grid.id)); });
      // A DOM node, not a string: Leaflet would parse a string as HTML (names are user input).
      shape.bindTooltip(el("span", null, grid.name), { permanent: true, direction: "center", className: "grid-label" });
      shape.addTo(gridLayer);
      gridShapes.set(grid.id, shape);
    });
    (compounds || []).forEach(function (compound) {
      L.geoJSON(geometryToMap(compound.boundary), {
        pane: "grids", interactive: false,
        style: { color: "#9fb7d6", weight: 1, opacity: 0.45, fillOpacity: 0.03, dashArray: "3 4" },
      }).addTo(compoundLayer);
    });
    if (!fitted) fitted = fitToGrids();
  }
  // The street fills the map; again after a resize (a 4K wall shows the same street, not a smaller one).
  function fitToGrids() {
    if (!gridLayer.getLayers().length) return false;
    const bounds = L.featureGroup(gridLayer.getLayers()).getBounds();
    if (!bounds.isValid()) return false;
    map.fitBounds(bounds, { padding: [20, 20] });
    return true;
  }

  // A grid's state follows the cases and alarms the page holds (recomputed once per animation frame).
  const dirtyGrids = new Set();
  function restyleGrids() {
    if (!dirtyGrids.size) return;
    const tally = new Map();
    dirtyGrids.forEach(function (id) { tally.set(id, { open: 0, overdue: 0, alarms: 0, emergency: false }); });
    state.cases.forEach(function (c) {
      const t = tally.get(c.grid);
      if (!t) return;
      t.open += 1;
      if (caseOverdue(c)) t.overdue += 1;
      if (c.emergency) t.emergency = true;
    });
    state.alarms.forEach(function (a) {
      const t = tally.get(a.grid);
      if (!t) return;
      t.alarms += 1;
      if (a.severity === "critical") t.emergency = true;
    });
    tally.forEach(function (t, id) {
      const grid = state.grids.get(id);
      const shape = gridShapes.get(id);
      if (!grid || !shape) return;
      grid.open_cases = t.open;
      grid.overdue = t.overdue;
      grid.alarms = t.alarms;
      grid.state = t.emergency ? "emergency" : t.overdue ? "overdue" : t.open ? "open" : "normal";
      shape.setStyle(gridStyle[grid.state]);
    });
    dirtyGrids.clear();
  }
  function markGrid(id) {
    if (id !== null && id !== undefined) dirtyGrids.add(id);
  }

  /* ---- Alarms, cases, workers on the map ---- */
  function alarmIcon(alarm) {
    const size = Math.round(remPx() * 1.9);
    return L.divIcon({
      className: "alarm-icon sev-" + (alarm.severity || "major"),
      html: '<span class="ring"></span><span class="core"></span>',
      iconSize: [size, size],
    });
  }
  function alarmPopup(alarm) {
    return details(alarm.title || labels.events["alarm.raised"], [
      [labels.scene, alarm.scene_name || sceneName(alarm.scene)],
      [labels.place, alarm.place],
      [labels.sensor, alarm.sensor_point],
      [labels.severity_label, labels.severity[alarm.severity] || alarm.severity],
      [labels.count, alarm.count],
      [labels.raised_at, dateTime(alarm.raised_at)],
    ]);
  }
  function sceneName(code) {
    const scene = (state.scenes || []).find(function (s) { return s.code === code; });
    return scene ? scene.name : code;
  }
  function caseOverdue(c) {
    return Boolean(c.overdue) || (c.deadline ? new Date(c.deadline).getTime() < Date.now() : false);
  }
  function caseIcon(c) {
    const size = Math.round(remPx() * 1.3);
    const kind = c.emergency ? " emergency" : caseOverdue(c) ? " overdue" : "";
    return L.divIcon({ className: "case-icon" + kind, html: "案", iconSize: [size, size] });
  }
  function casePopup(c) {
    return details(c.title || labels.category, [
      [labels.category, c.category_name || c.category],
      [labels.status, labels.case_statuses[c.status] || c.status],
      [labels.place, c.place],
      [labels.severity_label, labels.severity[c.severity] || c.severity],
      [labels.deadline, dateTime(c.deadline)],
    ]);
  }
  function workerIcon() {
    const size = Math.round(remPx() * 0.9);
    return L.divIcon({ className: "worker-icon", iconSize: [size, size] });
  }
  function workerPopup(w) {
    return details(w.name, [[labels.grid, w.place], [labels.last_seen, dateTime(w.recorded_at)]]);
  }

  // Clustered markers change in batches, once per animation frame: markercluster recounts its
  // clusters once for a storm's hundreds of alarms instead of once per alarm.
  const pending = { alarm: { add: new Set(), remove: new Set() }, case: { add: new Set(), remove: new Set() } };
  function clusterOf(kind) {
    return kind === "alarm" ? alarmCluster : caseCluster;
  }
  function queueAdd(kind, marker) {
    if (!pending[kind].remove.delete(marker) || !clusterOf(kind).hasLayer(marker)) pending[kind].add.add(marker);
  }
  function queueRemove(kind, marker) {
    if (!pending[kind].add.delete(marker) || clusterOf(kind).hasLayer(marker)) pending[kind].remove.add(marker);
  }
  function flushMarkers() {
    ["alarm", "case"].forEach(function (kind) {
      const cluster = clusterOf(kind);
      if (pending[kind].remove.size) cluster.removeLayers(Array.from(pending[kind].remove));
      if (pending[kind].add.size) cluster.addLayers(Array.from(pending[kind].add));
      pending[kind].add.clear();
      pending[kind].remove.clear();
    });
  }
  function placeMarker(kind, row) {
    if (typeof row.lat !== "number" || typeof row.lng !== "number") return;
    const existing = markers[kind].get(row.id);
    const icon = kind === "alarm" ? alarmIcon(row) : kind === "case" ? caseIcon(row) : workerIcon();
    const at = toMap(row.lat, row.lng);
    if (existing) {
      const moved = !existing.getLatLng().equals(at);
      if (moved && kind !== "worker") {
        // Rare (a case's place corrected): out at its old place, in at the new one, so the clusters
        // recount; markercluster finds a marker by its position, so this cannot wait for the batch.
        flushMarkers();
        clusterOf(kind).removeLayer(existing);
        existing.setLatLng(at).setIcon(icon);
        clusterOf(kind).addLayer(existing);
        return;
      }
      if (moved) existing.setLatLng(at);
      existing.setIcon(icon); // only its look changes: it keeps its place and an open popup
      return;
    }
    const marker = L.marker(at, { icon: icon, keyboard: false, zIndexOffset: Z_OFFSET[kind] });
    marker.bindPopup(function () {
      const current = (kind === "alarm" ? state.alarms : kind === "case" ? state.cases : state.workers).get(row.id);
      const shown = current || row;
      return kind === "alarm" ? alarmPopup(shown) : kind === "case" ? casePopup(shown) : workerPopup(shown);
    });
    markers[kind].set(row.id, marker);
    if (kind === "worker") workerLayer.addLayer(marker);
    else queueAdd(kind, marker);
  }
  function removeMarker(kind, id) {
    const marker = markers[kind].get(id);
    if (!marker) return;
    queueRemove(kind, marker);
    markers[kind].delete(id);
  }
  function drawMarkers(kind, rows) {
    const store = kind === "alarm" ? state.alarms : state.cases;
    const cluster = kind === "alarm" ? alarmCluster : caseCluster;
    pending[kind].add.clear();
    pending[kind].remove.clear();
    cluster.clearLayers();
    markers[kind].clear();
    store.clear();
    const batch = [];
    rows.forEach(function (row) {
      store.set(row.id, row);
      if (typeof row.lat !== "number" || typeof row.lng !== "number") return;
      const marker = L.marker(toMap(row.lat, row.lng), {
        icon: kind === "alarm" ? alarmIcon(row) : caseIcon(row), keyboard: false, zIndexOffset: Z_OFFSET[kind],
      });
      marker.bindPopup(function () {
        const current = store.get(row.id) || row;
        return kind === "alarm" ? alarmPopup(current) : casePopup(current);
      });
      markers[kind].set(row.id, marker);
      batch.push(marker);
    });
    cluster.addLayers(batch);
  }
  function drawWorkers(rows) {
    workerLayer.clearLayers();
    markers.worker.clear();
    state.workers.clear();
    rows.forEach(function (row) {
      state.workers.set(row.id, row);
      placeMarker("worker", row);
    });
  }
  const trackLines = new Map();
  function drawTracks(tracks) {
    trackLayer.clearLayers();
    trackLines.clear();
    tracks.forEach(function (track) {
      const line = L.polyline(track.line.map(function (p) { return toMap(p[0], p[1]); }), {
        pane: "tracks", renderer: canvas, color: "#5ef0ff", weight: 1.5, opacity: 0.35, dashArray: "4 4",
        interactive: false,
      });
      line.addTo(trackLayer);
      trackLines.set(track.id, line);
    });
  }
  function drawPoints(scenes, points) {
    pointCluster.clearLayers();
    const batch = new Array(points.length);
    for (let i = 0; i < points.length; i += 1) {
      const p = points[i];
      const online = p[5] === 1;
      const marker = L.circleMarker(toMap(p[2], p[3]), {
        renderer: canvas, radius: 4, weight: 1, color: online ? "#2a9df4" : "#8b96a8",
        fillColor: online ? "#2a9df4" : "#5b6472", fillOpacity: 0.75,
      });
      marker.pointRow = p;
      batch[i] = marker;
    }
    pointCluster.addLayers(batch);
    state.scenes = scenes;
    state.pointsShown = points.length;
  }
  pointCluster.on("click", function (e) {
    const p = e.layer.pointRow;
    if (!p) return;
    const scene = (state.scenes || [])[p[4]];
    L.popup()
      .setLatLng(e.latlng)
      .setContent(details(p[1], [[labels.scene, scene ? scene.name : ""], [labels.status, p[5] ? labels.online : labels.offline]]))
      .openOn(map);
  });

  // Zoom to an alarm, case or worker and open its details (a click on a feed line does this).
  function showOnMap(kind, id) {
    flushMarkers();
    const marker = markers[kind] && markers[kind].get(id);
    if (!marker) return false;
    const cluster = kind === "alarm" ? alarmCluster : kind === "case" ? caseCluster : null;
    if (cluster) {
      cluster.zoomToShowLayer(marker, function () { marker.openPopup(); });
    } else {
      map.setView(marker.getLatLng(), Math.max(map.getZoom(), 17));
      marker.openPopup();
    }
    return true;
  }
  function markerVisible(kind, id) {
    const marker = markers[kind] && markers[kind].get(id);
    return Boolean(marker && marker._icon && document.body.contains(marker._icon));
  }
  window.DCC.showOnMap = showOnMap;
  window.DCC.markerVisible = markerVisible;
  window.DCC.onMap = function (kind, id) {
    const marker = markers[kind] && markers[kind].get(id);
    const cluster = kind === "alarm" ? alarmCluster : kind === "case" ? caseCluster : workerLayer;
    return Boolean(marker && cluster.hasLayer(marker));
  };

  /* ---- Figures: KPI tiles and ECharts ---- */
  const shownKpis = {};
  function setKpi(name, html, bump) {
    if (shownKpis[name] === html) return;
    const node = document.getElementById("kpi-" + name);
    if (!node) return;
    shownKpis[name] = html;
    node.innerHTML = html;
    // The Web Animations API restarts the bump without a forced layout of the whole page.
    if (bump && node.animate) node.animate([{ transform: "scale(1.18)" }, { transform: "scale(1)" }], 600);
  }
  function renderLiveKpis(bump) {
    let overdue = 0;
    state.cases.forEach(function (c) { if (caseOverdue(c)) overdue += 1; });
    const alarmsExtra = Math.max(0, state.alarmsTotal - state.alarms.size);
    setKpi("active_alarms", formatNumber(state.alarms.size + alarmsExtra), bump);
    const casesExtra = Math.max(0, state.casesTotal - state.cases.size);
    setKpi("open_cases", formatNumber(state.cases.size + casesExtra), bump);
    setKpi("overdue", formatNumber(overdue), bump);
    setKpi("alarms_today", formatNumber(state.alarmsToday), bump);
  }
  function renderKpis(kpis) {
    state.kpis = kpis;
    state.alarmsToday = kpis.alarms_today || 0;
    setKpi("avg_handling", formatDuration(kpis.avg_handling_seconds));
    setKpi("on_time_rate", formatRate(kpis.on_time_rate));
    setKpi("satisfaction", formatRate(kpis.satisfaction_rate));
    setKpi("points_online", formatNumber(kpis.points_online));
    setKpi("points_offline", formatNumber(kpis.points_offline));
    setKpi("messages_per_second", formatNumber(kpis.messages_per_second));
    renderLiveKpis(false);
  }

  const charts = {};
  function chart(id) {
    if (!window.echarts) return null;
    if (!charts[id]) charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    return charts[id];
  }
  const palette = ["#49b3ff", "#2fd487", "#ffb020", "#ff6b81", "#a78bfa", "#5ef0ff", "#ffd166", "#7bd389", "#f78c6b", "#9fb7d6"];
  function axisStyle(size) {
    return {
      axisLabel: { color: "#8ea6c6", fontSize: size },
      axisLine: { lineStyle: { color: "#1c3f6e" } },
      splitLine: { lineStyle: { color: "rgba(28,63,110,.5)" } },
    };
  }
  function renderCharts(data) {
    state.charts = data;
    const size = Math.round(remPx() * 0.8);
    const textStyle = { color: "#c9d8ec", fontSize: size };
    const source = chart("chart-source");
    if (source) {
      source.setOption({
        color: palette, textStyle: textStyle, tooltip: { trigger: "item" },
        legend: { orient: "vertical", right: 0, top: "middle", textStyle: textStyle, itemWidth: size, itemHeight: size },
        series: [{
          type: "pie", radius: ["45%", "75%"], center: ["35%", "52%"], label: { show: false },
          itemStyle: { borderColor: "#0a1b33", borderWidth: 2 },
          data: (data.cases_by_source || []).map(function (row) {
            return { name: labels.sources[row.source] || row.source, value: row.count };
          }),
        }],
      }, true);
    }
    const category = chart("chart-category");
    if (category) {
      const rows = (data.cases_by_category || []).slice().reverse();
      category.setOption({
        textStyle: textStyle, grid: { left: 8, right: 36, top: 4, bottom: 4, containLabel: true },
        xAxis: Object.assign({ type: "value", minInterval: 1 }, axisStyle(size)),
        yAxis: Object.assign({ type: "category", data: rows.map(function (r) { return r.name; }) }, axisStyle(size)),
        series: [{
          type: "bar", data: rows.map(function (r) { return r.count; }), barMaxWidth: size,
          itemStyle: { color: new echarts.graphic.LinearGradient(0, 0, 1, 0, [{ offset: 0, color: "#1f5fbf" }, { offset: 1, color: "#49b3ff" }]) },
          label: { show: true, position: "right", color: "#e8f0fb", fontSize: size },
        }],
      }, true);
    }
    const scene = chart("chart-scene");
    if (scene) {
      const rows = data.alarms_by_scene || [];
      scene.setOption({
        textStyle: textStyle, grid: { left: 8, right: 8, top: 20, bottom: 4, containLabel: true },
        xAxis: Object.assign({ type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { color: "#8ea6c6", fontSize: size, interval: 0, rotate: rows.length > 5 ? 30 : 0 } }, { axisLine: { lineStyle: { color: "#1c3f6e" } } }),
        yAxis: Object.assign({ type: "value", minInterval: 1 }, axisStyle(size)),
        series: [{
          type: "bar", data: rows.map(function (r) { return r.count; }), barMaxWidth: size * 1.5,
          itemStyle: { color: new echarts.graphic.LinearGradient(0, 0, 0, 1, [{ offset: 0, color: "#ff6b81" }, { offset: 1, color: "#7a1f3d" }]) },
          label: { show: true, position: "top", color: "#e8f0fb", fontSize: size },
        }],
      }, true);
    }
    const trend = chart("chart-trend");
    if (trend && data.trend) {
      const t = data.trend;
      trend.setOption({
        color: ["#ff6b81", "#49b3ff", "#2fd487"], textStyle: textStyle, tooltip: { trigger: "axis" },
        legend: { top: 0, textStyle: textStyle, itemWidth: size * 1.4, itemHeight: size * 0.7 },
        grid: { left: 8, right: size * 1.8, top: size * 2.4, bottom: 4, containLabel: true },
        xAxis: Object.assign({ type: "category", boundaryGap: false, data: (t.days || []).map(function (d) { return d.slice(5); }) }, axisStyle(size)),
        yAxis: Object.assign({ type: "value", minInterval: 1 }, axisStyle(size)),
        series: [
          { name: labels.alarms_today, type: "line", smooth: true, symbolSize: size * 0.5, data: t.alarms || [], areaStyle: { opacity: 0.12 } },
          { name: labels.cases_today, type: "line", smooth: true, symbolSize: size * 0.5, data: t.cases || [], areaStyle: { opacity: 0.12 } },
          { name: labels.closed_today, type: "line", smooth: true, symbolSize: size * 0.5, data: t.closed || [] },
        ],
      }, true);
    }
  }
  let resizeTimer = 0;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      Object.keys(charts).forEach(function (id) { charts[id].resize(); });
      renderCharts(state.charts);
      map.invalidateSize();
      fitToGrids();
    }, 150);
  });

  /* ---- Live feed ---- */
  const feed = document.getElementById("feed");
  function feedItem(event) {
    const data = event.data || {};
    const severity = data.severity || "";
    const item = el("li", "sev-" + (severity || "info"));
    item.dataset.kind = event.kind;
    item.dataset.id = String(event.id);
    item.appendChild(el("time", null, clockTime(event.at)));
    const name = headline(event);
    item.appendChild(el("span", "what", labels.events[name] || name));
    item.appendChild(el("span", "title", data.title || ""));
    item.appendChild(el("span", "place", data.place || ""));
    return item;
  }
  // The names of every event the server coalesced into this one (oldest first).
  function namesOf(event) {
    return event.events && event.events.length ? event.events : [event.event];
  }
  // The one a feed line shows: a new alarm or an escalation says more than what followed it.
  function headline(event) {
    const names = namesOf(event);
    const first = ["alarm.raised", "case.escalated", "case.overdue", "case.created"].find(function (n) {
      return names.indexOf(n) >= 0;
    });
    return first || names[names.length - 1];
  }
  function isCritical(event, isNew) {
    const data = event.data || {};
    if (namesOf(event).indexOf("case.escalated") >= 0) return true;
    if (event.kind === "alarm" && isNew && data.severity === "critical") return true;
    if (event.kind === "case" && isNew && (data.emergency || data.severity === "critical")) return true;
    return false;
  }
  feed.addEventListener("click", function (e) {
    const item = e.target.closest("li[data-kind]");
    if (item) showOnMap(item.dataset.kind, Number(item.dataset.id));
  });
  function addToFeed(items) {
    if (!items.length) return;
    const empty = feed.querySelector(".empty");
    if (empty) empty.remove();
    const fragment = document.createDocumentFragment();
    items.slice(-FEED_MAX).reverse().forEach(function (entry) {
      const item = feedItem(entry.event);
      if (entry.critical) {
        item.classList.add("flash");
        stats.flashes += 1;
      }
      fragment.appendChild(item);
    });
    feed.prepend(fragment);
    while (feed.children.length > FEED_MAX) feed.lastChild.remove();
  }

  /* ---- Applying events ---- */
  function rowFromEvent(event, previous) {
    const data = event.data || {};
    const row = Object.assign({}, previous || {}, data, {
      id: event.id, version: event.version, grid: event.grid === undefined ? (previous || {}).grid : event.grid,
    });
    if (event.kind === "alarm" && !row.raised_at) row.raised_at = event.at;
    if (event.kind === "case") {
      row.overdue = Boolean(data.overdue) || namesOf(event).indexOf("case.overdue") >= 0;
      row.emergency = Boolean(data.emergency) || data.severity === "critical" || Boolean(previous && previous.emergency);
    }
    return row;
  }
  function skipAsSeen(event) {
    // Already in the snapshot: numbered at or before the counter the snapshot was read at.
    const seen = state.seqs[event.group];
    return typeof event.seq === "number" && event.seq > 0 && typeof seen === "number" && event.seq <= seen;
  }
  // Returns {feed, critical} or null when nothing changed.
  function applyEvent(event) {
    stats.events += 1;
    if (skipAsSeen(event)) {
      stats.stale += 1;
      return null;
    }
    const kind = event.kind;
    if (kind === "worker") {
      const w = Object.assign({}, state.workers.get(event.id) || {}, event.data || {}, { id: event.id, version: event.version });
      const known = state.workers.get(event.id);
      if (known && known.version >= event.version) return null;
      w.name = w.name || w.title;
      state.workers.set(event.id, w);
      placeMarker("worker", w);
      const line = trackLines.get(event.id);
      if (line) line.addLatLng(toMap(w.lat, w.lng));
      stats.applied += 1;
      return null;
    }
    if (kind !== "alarm" && kind !== "case") return null;
    const store = kind === "alarm" ? state.alarms : state.cases;
    const known = store.get(event.id);
    const knownVersion = known ? known.version : state.gone.get(kind + ":" + event.id);
    if (knownVersion !== undefined && event.version <= knownVersion) {
      stats.stale += 1;
      return null;
    }
    if (knownVersion !== undefined && (event.since || event.version) > knownVersion + 1) {
      requestResync("version gap on " + kind + " " + event.id);
    }
    const data = event.data || {};
    const names = namesOf(event);
    const last = names[names.length - 1];
    const ended = kind === "alarm"
      ? last === "alarm.cleared" || CLEARED_ALARM.has(data.status)
      : CLOSED_CASE.has(data.status) || last === "case.closed" || last === "case.rejected" || last === "case.merged";
    markGrid(event.grid);
    if (known) markGrid(known.grid);
    stats.applied += 1;
    const isNew = !known && knownVersion === undefined;
    if (ended) {
      store.delete(event.id);
      removeMarker(kind, event.id);
      state.gone.set(kind + ":" + event.id, event.version);
      if (state.gone.size > 50000) state.gone.delete(state.gone.keys().next().value);
    } else {
      const row = rowFromEvent(event, known);
      store.set(event.id, row);
      placeMarker(kind, row);
      if (kind === "alarm" && isNew && (names.indexOf("alarm.raised") >= 0 || event.since === 1) && isToday(event.at)) {
        state.alarmsToday += 1;
      }
    }
    const shown = names.some(function (n) { return FEED_EVENTS.has(n); });
    if (!shown && !(isNew && kind === "alarm")) return null;
    return { event: event, critical: isCritical(event, isNew) };
  }

  const queue = [];
  let lastAlert = 0;
  let buffering = true; // until the first snapshot is in, events wait
  let scheduled = false;
  function schedule() {
    if (!scheduled && !buffering) {
      scheduled = true;
      requestAnimationFrame(drain);
    }
  }
  function drain() {
    scheduled = false;
    if (buffering || !queue.length) return;
    const started = performance.now();
    const events = queue.splice(0, queue.length);
    const feedItems = [];
    let critical = false;
    events.forEach(function (event) {
      const result = applyEvent(event);
      if (result) {
        feedItems.push(result);
        critical = critical || result.critical;
      }
    });
    addToFeed(feedItems);
    flushMarkers();
    restyleGrids();
    renderLiveKpis(true);
    updateCounts();
    if (critical && Date.now() - lastAlert > 2000) {
      lastAlert = Date.now(); // a storm beeps every 2 s, not ten times a second
      beep();
      const edge = document.querySelector(".screen");
      if (edge.animate) {
        edge.animate(
          [{ boxShadow: "none" }, { boxShadow: "inset 0 0 0 .3rem #ff4d57" }, { boxShadow: "none" }],
          { duration: 1000, iterations: 3 },
        );
      }
    }
    scheduleFigures();
    stats.maxDrainMs = Math.max(stats.maxDrainMs, Math.round(performance.now() - started));
  }
  function updateCounts() {
    const node = document.getElementById("map-counts");
    const parts = [];
    if (state.alarmsTotal > state.alarms.size) {
      parts.push(labels.alarms + " " + labels.shown_of.replace("%(shown)s", state.alarms.size).replace("%(total)s", state.alarmsTotal));
    }
    node.textContent = parts.join(" · ");
  }

  /* ---- Snapshot ---- */
  let loading = null;
  let resyncWanted = false;
  let lastSnapshotAt = 0;
  let lastStaticAt = 0;
  const status = document.getElementById("connection");

  function snapshotUrl(sections) {
    const params = new URLSearchParams();
    if (config.grid) params.set("grid", config.grid);
    if (sections) params.set("sections", sections.join(","));
    const query = params.toString();
    return config.snapshot_url + (query ? "?" + query : "");
  }
  async function fetchJson(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 401 || response.status === 403) {
      window.location.reload(); // logged out meanwhile: the login page
      throw new Error("not logged in");
    }
    if (!response.ok) throw new Error(url + " answered " + response.status);
    return response.json();
  }
  function applySnapshot(snap) {
    if (stats.connected && snap.warnings && snap.warnings.length) { status.textContent = labels.connected + " ⚠ " + snap.warnings.join(" "); status.className = "conn conn-warn"; }
    state.version = snap.version;
    state.seqs = snap.seqs || {};
    state.gone.clear();
    if (snap.grids) drawGrids(snap.grids, snap.compounds);
    if (snap.alarms) {
      state.alarmsTotal = snap.alarms_total || snap.alarms.length;
      drawMarkers("alarm", snap.alarms);
    }
    if (snap.cases) {
      state.casesTotal = snap.cases_total || snap.cases.length;
      drawMarkers("case", snap.cases);
    }
    if (snap.workers) drawWorkers(snap.workers);
    if (snap.tracks) drawTracks(snap.tracks);
    if (snap.points) drawPoints(snap.scenes || [], snap.points);
    if (snap.kpis) renderKpis(snap.kpis);
    if (snap.charts) renderCharts(snap.charts);
    renderPanels(snap);
    renderLiveKpis(false);
    updateCounts();
    stats.snapshots += 1;
    stats.snapshotLoadedAt = Date.now();
  }
  // Everything the page draws from the database; events buffered meanwhile are applied after it.
  function loadSnapshot(reason) {
    if (loading) {
      resyncWanted = true;
      return loading;
    }
    buffering = true;
    lastSnapshotAt = Date.now();
    const withStatic = !lastStaticAt || Date.now() - lastStaticAt > REFRESH_STATIC_MS;
    const sections = withStatic ? null : ["kpis", "charts", "grids", "alarms", "cases", "workers"].concat(Array.from(panels.keys()));
    if (reason) stats.lastResyncReason = reason;
    loading = fetchJson(snapshotUrl(sections))
      .then(function (snap) {
        applySnapshot(snap);
        if (withStatic) lastStaticAt = Date.now();
      })
      .catch(function (error) {
        console.error("snapshot", error);
        resyncWanted = true;
      })
      .finally(function () {
        loading = null;
        buffering = false;
        schedule();
        if (resyncWanted) {
          resyncWanted = false;
          setTimeout(function () { requestResync("again"); }, RESYNC_MIN_GAP_MS);
        }
      });
    return loading;
  }
  let resyncTimer = 0;
  function requestResync(reason) {
    stats.resyncs += 1;
    stats.lastResyncReason = reason;
    if (loading) {
      resyncWanted = true;
      return;
    }
    const wait = Math.max(0, lastSnapshotAt + RESYNC_MIN_GAP_MS - Date.now());
    clearTimeout(resyncTimer);
    resyncTimer = setTimeout(function () { loadSnapshot(reason); }, wait);
  }
  window.DCC.resync = requestResync;

  // Rates, charts and workers move without events of their own: refresh them now and then, and
  // 2 s after events arrive (at most one request per 2 s however many events come).
  let figuresTimer = 0;
  let figuresDue = 0;
  function refreshFigures() {
    figuresDue = 0;
    if (loading || !stats.connected) return;
    fetchJson(snapshotUrl(["kpis", "charts", "workers"].concat(Array.from(panels.keys()))))
      .then(function (snap) {
        if (snap.kpis) renderKpis(snap.kpis);
        if (snap.charts) renderCharts(snap.charts);
        renderPanels(snap);
        if (snap.workers) {
          snap.workers.forEach(function (w) {
            const known = state.workers.get(w.id);
            if (!known || known.version < w.version) {
              state.workers.set(w.id, w);
              placeMarker("worker", w);
            }
          });
        }
      })
      .catch(function (error) { console.error("figures", error); });
  }
  function scheduleFigures() {
    if (figuresDue) return;
    figuresDue = Date.now() + 2000;
    clearTimeout(figuresTimer);
    figuresTimer = setTimeout(refreshFigures, 2000);
  }
  setInterval(function () {
    if (Date.now() - lastStaticAt > REFRESH_STATIC_MS) requestResync("refresh points and tracks");
    else refreshFigures();
  }, REFRESH_FIGURES_MS);

  /* ---- Socket: the shared client (realtime.js) decodes frames and says when to reload ---- */
  const banner = document.getElementById("offline-banner");
  let rateWindow = [];
  function setConnection(up) {
    stats.connected = up;
    status.textContent = up ? labels.connected : labels.disconnected;
    status.className = "conn " + (up ? "conn-up" : "conn-down");
    banner.hidden = up;
  }
  function countFrames() {
    stats.frames = live.stats.frames;
    stats.hellos = live.stats.hellos;
  }
  function onEvents(events, frame) {
    countFrames();
    const now = Date.now();
    const count = frame.received || events.length;
    stats.received += count;
    rateWindow.push([now, count]);
    rateWindow = rateWindow.filter(function (entry) { return entry[0] > now - 5000; });
    const perSecond = rateWindow.reduce(function (sum, entry) { return sum + entry[1]; }, 0) / 5;
    document.getElementById("feed-rate").textContent = perSecond >= 0.2 ? perSecond.toFixed(1) + " " + labels.per_second : "";
    for (let i = 0; i < events.length; i += 1) {
      if (events[i].kind !== "notification") queue.push(events[i]);
    }
    schedule();
  }
  const live = DCCRealtime.connect({
    path: config.socket_path,
    params: { grid: config.grid },
    onStatus: setConnection,
    onEvents: onEvents,
    onResync: function (reason) {
      countFrames();
      if (reason === "server saw a gap") requestResync(reason);
      // Connected or reconnected: whatever happened meanwhile is in the database, not in the socket.
      else loadSnapshot(reason);
    },
  });
  stats.socket = live.stats;
  window.DCC.disconnect = live.reconnect;
  // For the browser tests' storm: a frame handled exactly as one from the socket.
  window.DCC.inject = live.inject;

  function tick() {
    document.getElementById("clock").textContent = dateTimeFormat.format(new Date());
  }
  setInterval(tick, 1000);
  tick();
  status.textContent = labels.connecting;
})();
