/* Patrol (grid workers) and reports (everyone who reports from the street).
 * On patrol the page records where the phone is every 30 s while it is open (a web page cannot read
 * its position in the background), keeps the points on the phone and uploads them in batches to
 * /api/v1/patrol-positions/ (the server skips points it has, so a retry is safe). A pause of more
 * than 90 s between two points is a gap: the track is drawn in pieces, not joined by a straight line.
 * A report becomes a case (source `patrol` from a grid worker) through the outbox. */
(function () {
  "use strict";

  const V = window.DCCViews;
  const h = V.h;
  const options = V.options;
  const L10N = options.labels;
  const INTERVAL_MS = 30000;
  const GAP_MS = 90000;
  const PATROL_KEY = "dcc-m-patrol-" + options.user.id;
  let timer = null;
  let uploading = false;

  function patrolStart() { return Number(localStorage.getItem(PATROL_KEY) || 0); }

  async function record() {
    try {
      const here = await window.DCCPhotos.position();
      await window.DCCOutbox.db.positions.add({
        lat: Number(here.lat.toFixed(6)), lng: Number(here.lng.toFixed(6)),
        accuracy: here.accuracy === undefined || here.accuracy === null ? null : Math.round(here.accuracy),
        recorded_at: new Date().toISOString(), sent: 0,
      });
    } catch (error) { /* no fix this time: a gap, shown as one */ }
    upload();
    if (location.hash.startsWith("#/patrol")) show(document.getElementById("m-view"), document.getElementById("m-title"));
  }

  async function upload() {
    if (uploading) return;
    uploading = true;
    try {
      const rows = await window.DCCOutbox.db.positions.where("sent").equals(0).limit(500).toArray();
      if (!rows.length) return;
      const response = await window.DCCOutbox.postJSON("/api/v1/patrol-positions/", rows.map(function (row) {
        return { lat: row.lat, lng: row.lng, accuracy: row.accuracy, recorded_at: row.recorded_at };
      }));
      if (response.ok || (response.status >= 400 && response.status < 500 && response.status !== 429)) {
        await window.DCCOutbox.db.positions.bulkUpdate(rows.map(function (row) { return { key: row.id, changes: { sent: 1 } }; }));
      }
    } catch (error) { /* offline: the points wait on the phone */ } finally {
      uploading = false;
    }
  }

  function start() {
    if (!patrolStart()) localStorage.setItem(PATROL_KEY, String(Date.now()));
    if (timer) clearInterval(timer);
    record();
    timer = setInterval(record, INTERVAL_MS);
  }

  function stop() {
    localStorage.removeItem(PATROL_KEY);
    if (timer) clearInterval(timer);
    timer = null;
    upload();
  }

  // The track in pieces: a new piece after every pause longer than GAP_MS.
  function pieces(points) {
    const result = [];
    let current = [];
    points.forEach(function (point, index) {
      if (index && Date.parse(point.recorded_at) - Date.parse(points[index - 1].recorded_at) > GAP_MS) {
        result.push(current);
        current = [];
      }
      current.push(point);
    });
    if (current.length) result.push(current);
    return result;
  }

  async function show(view, title) {
    title.textContent = L10N.patrol;
    const since = patrolStart();
    const today = new Date();
    today.setHours(0, 0, 0, 0);
    const points = (await window.DCCOutbox.db.positions.toArray())
      .filter(function (p) { return Date.parse(p.recorded_at) >= today.getTime(); })
      .sort(function (a, b) { return Date.parse(a.recorded_at) - Date.parse(b.recorded_at); });
    if (!location.hash.startsWith("#/patrol")) return;  // the person went elsewhere meanwhile
    const track = pieces(points);
    const mapNode = h("div", { className: "m-map m-map-tall", id: "m-patrol-map" });
    V.fill(view, [
      h("section", { className: "m-section" }, [
        since
          ? h("p", { className: "m-patrol-on", text: V.format(L10N.onPatrol, { time: new Date(since).toLocaleTimeString("zh-CN", { hour12: false }) }) })
          : null,
        h("button", {
          type: "button", className: "m-button m-primary m-wide", "data-patrol": since ? "stop" : "start",
          text: since ? L10N.stopPatrol : L10N.startPatrol,
          onclick: function () { if (since) stop(); else start(); show(view, title); },
        }),
        h("p", { className: "m-hint", "data-track": "1", text: L10N.positions + " " + points.length + " · " + L10N.gaps + " " + Math.max(0, track.length - 1) }),
      ]),
      mapNode,
      h("a", { className: "m-button m-wide", href: "#/report", text: L10N.foundProblem }),
    ]);
    if (window.L && points.length) {
      const last = points[points.length - 1];
      const map = L.map(mapNode, { zoomControl: false, attributionControl: false, preferCanvas: true });
      map.fitBounds(points.map(function (p) { return [p.lat, p.lng]; }), { padding: [24, 24], maxZoom: 17 });
      L.tileLayer(options.tilesUrl, { maxZoom: 19, subdomains: "1234" }).addTo(map);
      track.forEach(function (piece) {
        L.polyline(piece.map(function (p) { return [p.lat, p.lng]; }), { color: "#0b5cab", weight: 4 }).addTo(map);
      });
      L.circleMarker([last.lat, last.lng], { radius: 7, color: "#d92d20" }).addTo(map);
    }
  }

  function report(view, title) {
    title.textContent = L10N.report;
    let spot = null;
    const category = h("select", { name: "category", required: true }, options.categories.map(function (c) {
      return h("option", { value: c.code, text: c.name });
    }));
    const where = h("p", { className: "m-hint", "data-where": "1" });
    const picker = window.DCCSteps.photoPicker(L10N.photos, async function () {
      return { lat: spot && spot.lat, lng: spot && spot.lng, address: form.querySelector("[name=address]").value, by: options.user.name, labels: L10N };
    });
    const locate = async function () {
      where.textContent = L10N.checkingIn;
      try {
        spot = await window.DCCPhotos.position();
        where.textContent = L10N.location + " " + spot.lat.toFixed(6) + ", " + spot.lng.toFixed(6);
      } catch (error) {
        where.textContent = V.format(L10N.noPosition, { error: error.message });
      }
    };
    const error = h("p", { className: "m-error", role: "alert", hidden: true });
    const form = h("form", { className: "m-section m-report", id: "m-report" }, [
      h("label", { className: "m-field" }, [L10N.category, category]),
      h("label", { className: "m-field" }, [L10N.description, h("textarea", { name: "description", rows: "3" })]),
      h("label", { className: "m-field" }, [L10N.address, h("input", { name: "address", type: "text", maxlength: "200" })]),
      h("div", { className: "m-field" }, [h("button", { type: "button", className: "m-button", text: L10N.locate, onclick: locate }), where]),
      picker,
      error,
      h("button", { type: "submit", className: "m-button m-primary m-wide", text: L10N.sendReport }),
    ]);
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      error.hidden = true;
      if (!spot) {
        error.textContent = L10N.location + ": " + L10N.required;
        error.hidden = false;
        return;
      }
      const fields = {
        category: category.value, description: form.querySelector("[name=description]").value.trim(),
        address: form.querySelector("[name=address]").value.trim(), lat: spot.lat.toFixed(6), lng: spot.lng.toFixed(6),
      };
      if (options.user.role === "grid_worker") fields.source = "patrol";
      await window.DCCOutbox.enqueue({
        url: "/api/v1/cases/", fields: fields, files: window.DCCSteps.files(picker.photos),
        label: L10N.report + " · " + category.selectedOptions[0].textContent, action: "report",
      });
      V.toast(L10N.reported, "is-ok");
      location.hash = "#/outbox";
    });
    V.fill(view, [form]);
    locate();
  }

  if (patrolStart()) start();  // the page was reloaded on patrol: go on recording
  window.DCCPatrol = { show: show, report: report, start: start, stop: stop, pieces: pieces, upload: upload };
})();
