/* Wall screen: grids on the map, live events over the socket, resync on reconnect. */
(function () {
  "use strict";
  const labels = JSON.parse(document.getElementById("screen-labels").textContent);
  const gridParam = JSON.parse(document.getElementById("grid-param").textContent);
  const tilesUrl = JSON.parse(document.getElementById("tiles-url").textContent);

  const map = L.map("map", { zoomControl: false, attributionControl: false, preferCanvas: true });
  map.setView([31.27, 121.48], 15);
  if (tilesUrl) {
    // With no tile server reachable the polygons still show on the plain background.
    L.tileLayer(tilesUrl, { maxZoom: 19, className: "tiles" }).addTo(map);
  }
  const gridLayer = L.featureGroup().addTo(map);
  const eventLayer = L.layerGroup().addTo(map);

  const palette = ["#2f80ed", "#27ae60", "#9b51e0", "#f2994a", "#00b8d9", "#eb5757"];

  async function getAll(url) {
    const rows = [];
    let next = url;
    while (next) {
      const response = await fetch(next, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(url + " " + response.status);
      const page = await response.json();
      rows.push(...(page.results || page));
      next = page.next || null;
    }
    return rows;
  }

  async function loadGeography() {
    const [grids, compounds] = await Promise.all([
      getAll("/api/v1/grids/?page_size=1000"),
      getAll("/api/v1/compounds/?page_size=1000" + (gridParam ? "&grid=" + gridParam : "")),
    ]);
    const shown = gridParam ? grids.filter((g) => String(g.id) === String(gridParam)) : grids;
    const communities = new Map();
    gridLayer.clearLayers();
    const list = document.getElementById("grid-list");
    list.textContent = "";
    shown.forEach((grid) => {
      if (!communities.has(grid.community)) communities.set(grid.community, communities.size);
      const color = palette[communities.get(grid.community) % palette.length];
      L.geoJSON(grid.boundary, {
        style: { color: color, weight: 2, fillColor: color, fillOpacity: 0.18 },
      })
        .bindTooltip(grid.name + "<br>" + grid.community_name)
        .addTo(gridLayer);
      const item = document.createElement("li");
      item.innerHTML = '<span class="swatch"></span><span class="name"></span><span class="code"></span>';
      item.querySelector(".swatch").style.background = color;
      item.querySelector(".name").textContent = grid.name;
      item.querySelector(".code").textContent = grid.community_name;
      list.appendChild(item);
    });
    compounds.forEach((compound) => {
      L.geoJSON(compound.boundary, {
        style: { color: "#cfd8e3", weight: 1, fillOpacity: 0.05, dashArray: "2 3" },
      })
        .bindTooltip(compound.name)
        .addTo(gridLayer);
    });
    if (gridLayer.getLayers().length) map.fitBounds(gridLayer.getBounds(), { padding: [20, 20] });
    document.getElementById("kpi-communities").textContent = communities.size;
    document.getElementById("kpi-grids").textContent = shown.length;
    document.getElementById("kpi-compounds").textContent = compounds.length;
  }

  let events = 0;
  function showEvent(message) {
    events += 1;
    document.getElementById("kpi-events").textContent = events;
    const feed = document.getElementById("feed");
    const empty = feed.querySelector(".empty");
    if (empty) empty.remove();
    const item = document.createElement("li");
    const data = message.data || {};
    item.className = "sev-" + (data.severity || "info");
    const time = new Date(message.at || Date.now()).toLocaleTimeString("zh-CN", { hour12: false });
    item.innerHTML = '<time></time><strong></strong><span></span>';
    item.querySelector("time").textContent = time;
    item.querySelector("strong").textContent = data.title || message.event;
    item.querySelector("span").textContent = data.place || "";
    feed.prepend(item);
    while (feed.children.length > 50) feed.lastChild.remove();
    if (typeof data.lat === "number" && typeof data.lng === "number") {
      const marker = L.circleMarker([data.lat, data.lng], { radius: 8, color: "#ff4d4f", className: "pulse" });
      marker.addTo(eventLayer);
      setTimeout(() => eventLayer.removeLayer(marker), 60000);
    }
  }

  const status = document.getElementById("connection");
  const banner = document.getElementById("offline-banner");
  let retry = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(scheme + "://" + location.host + "/ws/screen/" + (gridParam ? "?grid=" + gridParam : ""));
    socket.onopen = function () {
      retry = 1000;
      status.textContent = labels.connected;
      status.className = "conn conn-up";
      banner.hidden = true;
    };
    socket.onmessage = function (frame) {
      const message = JSON.parse(frame.data);
      if (message.event === "hello") return;
      showEvent(message);
    };
    socket.onclose = function () {
      status.textContent = labels.disconnected;
      status.className = "conn conn-down";
      banner.hidden = false;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }

  function tick() {
    document.getElementById("clock").textContent = new Date().toLocaleString("zh-CN", { hour12: false });
  }
  setInterval(tick, 1000);
  tick();
  loadGeography().catch((error) => console.error(error));
  connect();
})();
