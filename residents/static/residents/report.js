/* The resident's report page (/report/): category → description and photos → place → phone →
 * "is it this problem?" → the tracking code. Photos are shrunk in the browser (canvas, JPEG, at most
 * 1600 px) before they are sent; user strings reach the DOM as text only. */
(function () {
  "use strict";
  const options = JSON.parse(document.getElementById("report-options").textContent);
  const L10N = options.labels;
  const STEPS = ["category", "describe", "place", "phone", "same", "done"];
  const MAX_SIDE = 1600;
  const state = { step: 0, category: null, photos: [], lat: null, lng: null, nearby: [], sending: false };
  const $ = function (id) { return document.getElementById(id); };
  const project = window.DCCMap ? DCCMap.projector(options.tilesCrs) : { gcj: false, point: function (a, b) { return [a, b]; } };
  let map = null;
  let marker = null;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showError(message) {
    const box = $("r-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  function show(index) {
    state.step = index;
    showError("");
    document.querySelectorAll(".r-step").forEach(function (section) {
      section.hidden = section.dataset.step !== STEPS[index];
    });
    document.querySelectorAll(".r-progress li").forEach(function (dot, n) {
      dot.classList.toggle("on", n <= index);
    });
    const name = STEPS[index];
    $("r-back").hidden = index === 0 || name === "done";
    $("r-next").hidden = name === "category" || name === "done";
    $("r-next").textContent = name === "same" ? L10N.newReport : L10N.next;
    if (name === "place") openMap();
    if (name === "same") loadNearby();
    window.scrollTo(0, 0);
  }

  // --- 1. category -------------------------------------------------------------------------------
  function renderCategories() {
    const box = $("r-categories");
    options.categories.forEach(function (category) {
      const button = el("button", "r-category");
      button.type = "button";
      button.setAttribute("aria-pressed", "false");
      button.appendChild(el("span", "icon", category.icon));
      button.appendChild(el("span", "name", category.name));
      if (category.hint) button.appendChild(el("span", "hint", category.hint));
      button.addEventListener("click", function () {
        state.category = category;
        box.querySelectorAll(".r-category").forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
        $("r-chosen").textContent = category.icon + " " + category.name;
        show(1);
      });
      box.appendChild(button);
    });
  }

  // --- 2. description and photos -----------------------------------------------------------------
  function shrink(file) {
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.8); });
    });
  }

  function renderThumbs() {
    const box = $("r-thumbs");
    box.replaceChildren();
    state.photos.forEach(function (photo, n) {
      const thumb = el("div", "r-thumb");
      const img = document.createElement("img");
      img.src = photo.url;
      img.alt = "";
      thumb.appendChild(img);
      thumb.appendChild(el("span", "size", Math.round(photo.blob.size / 1024) + " KB"));
      const remove = el("button", "", "×");
      remove.type = "button";
      remove.addEventListener("click", function () {
        URL.revokeObjectURL(photo.url);
        state.photos.splice(n, 1);
        renderThumbs();
      });
      thumb.appendChild(remove);
      box.appendChild(thumb);
    });
  }

  $("r-photos").addEventListener("change", function (event) {
    const files = Array.from(event.target.files || []);
    event.target.value = "";
    if (state.photos.length + files.length > options.maxPhotos) showError(L10N.tooManyPhotos);
    files.slice(0, options.maxPhotos - state.photos.length).forEach(function (file) {
      shrink(file).then(function (blob) {
        if (!blob || state.photos.length >= options.maxPhotos) return;
        state.photos.push({ blob: blob, url: URL.createObjectURL(blob) });
        renderThumbs();
      }).catch(function () { showError(L10N.failed); });
    });
  });

  // --- 3. place ----------------------------------------------------------------------------------
  function toWgs84(lat, lng) {
    if (!project.gcj) return [lat, lng];
    const shifted = project.point(lat, lng); // one step back: the shift varies slowly
    return [lat - (shifted[0] - lat), lng - (shifted[1] - lng)];
  }

  function placePin(lat, lng, fromTiles) {
    const wgs = fromTiles ? toWgs84(lat, lng) : [lat, lng];
    state.lat = Number(wgs[0].toFixed(6));
    state.lng = Number(wgs[1].toFixed(6));
    const onTiles = project.point(state.lat, state.lng);
    if (!marker) {
      marker = L.marker(onTiles, { draggable: true }).addTo(map);
      marker.on("dragend", function () {
        const p = marker.getLatLng();
        placePin(p.lat, p.lng, true);
      });
    } else {
      marker.setLatLng(onTiles);
    }
  }

  function drawArea() {
    fetch(options.areaUrl, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        L.geoJSON(project.gcj ? { type: "FeatureCollection", features: data.features.map(function (f) {
          return { type: "Feature", properties: f.properties, geometry: project.geometry(f.geometry) };
        }) } : data, {
          style: { color: "#1f6fd1", weight: 1, fillColor: "#9cc3f2", fillOpacity: 0.25 },
          onEachFeature: function (feature, layer) {
            layer.bindTooltip(String(feature.properties.name || ""), { permanent: false, direction: "center" });
            layer.on("click", function (e) { placePin(e.latlng.lat, e.latlng.lng, true); });
          },
        }).addTo(map);
      })
      .catch(function () { /* the pin works without the outlines */ });
  }

  function openMap() {
    if (map) { map.invalidateSize(); return; }
    map = L.map("r-map", { zoomControl: true }).setView(project.point(options.center[0], options.center[1]), 16);
    if (options.tilesUrl) L.tileLayer(options.tilesUrl, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
    drawArea();
    map.on("click", function (e) { placePin(e.latlng.lat, e.latlng.lng, true); });
    locate();
  }

  function locate() {
    if (!navigator.geolocation) { $("r-place-hint").textContent = L10N.noGeolocation; return; }
    $("r-place-hint").textContent = L10N.locating;
    navigator.geolocation.getCurrentPosition(function (position) {
      placePin(position.coords.latitude, position.coords.longitude, false);
      map.setView(project.point(state.lat, state.lng), 18);
      $("r-place-hint").textContent = L10N.located;
    }, function () {
      $("r-place-hint").textContent = L10N.noGeolocation;
    }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  }
  $("r-locate").addEventListener("click", locate);

  // --- 5. "is it this problem?" and sending -------------------------------------------------------
  function loadNearby() {
    const box = $("r-nearby");
    box.replaceChildren();
    $("r-same-hint").textContent = "…";
    const query = new URLSearchParams({ category: state.category.code, lat: state.lat, lng: state.lng });
    fetch(options.nearbyUrl + "?" + query.toString(), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) {
        state.nearby = data.results || [];
        if (!state.nearby.length) {
          $("r-same-hint").textContent = L10N.noneNearby;
          $("r-next").textContent = L10N.submit;
          return;
        }
        $("r-same-hint").textContent = L10N.sameAsHint;
        state.nearby.forEach(function (item) {
          const card = el("div", "r-card");
          card.appendChild(el("strong", "", item.category + " · " + item.status));
          card.appendChild(el("div", "meta", item.distance_m + " " + L10N.metres + " · " + item.reporters + " " + L10N.reporters
            + " · " + new Date(item.reported_at).toLocaleString("zh-CN", { hour12: false, timeZone: options.timeZone })));
          if (item.description) card.appendChild(el("p", "", item.description));
          const same = el("button", "r-secondary r-block", L10N.thisOne);
          same.type = "button";
          same.addEventListener("click", function () { send(item.id); });
          card.appendChild(same);
          box.appendChild(card);
        });
      })
      .catch(function () {
        $("r-same-hint").textContent = L10N.noneNearby;
        $("r-next").textContent = L10N.submit;
      });
  }

  function send(sameAs) {
    if (state.sending) return;
    state.sending = true;
    $("r-next").disabled = true;
    $("r-next").textContent = L10N.sending;
    const form = new FormData();
    form.append("category", state.category.code);
    form.append("description", $("r-description").value);
    form.append("lat", state.lat);
    form.append("lng", state.lng);
    form.append("phone", $("r-phone").value);
    if (sameAs) form.append("same_as", sameAs);
    state.photos.forEach(function (photo, n) { form.append("photos", photo.blob, "photo-" + (n + 1) + ".jpg"); });
    fetch(options.reportUrl, { method: "POST", body: form, headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) { return { response: r, body: body }; });
      })
      .then(function (answer) {
        if (answer.response.status === 201) {
          $("r-code").textContent = answer.body.tracking_code;
          $("r-link").href = answer.body.tracking_url;
          show(STEPS.indexOf("done"));
          return;
        }
        if (answer.response.status === 429) {
          const minutes = Math.max(1, Math.ceil(Number(answer.response.headers.get("Retry-After") || 60) / 60));
          showError(L10N.retryAfter.replace("%(minutes)s", minutes));
        } else {
          showError(answer.body.detail || L10N.failed);
        }
      })
      .catch(function () { showError(L10N.failed); })
      .finally(function () {
        state.sending = false;
        $("r-next").disabled = false;
        if (STEPS[state.step] === "same") $("r-next").textContent = state.nearby.length ? L10N.newReport : L10N.submit;
      });
  }

  $("r-next").addEventListener("click", function () {
    const name = STEPS[state.step];
    if (name === "describe" && !$("r-description").value.trim()) { showError(L10N.describe); return; }
    if (name === "place" && state.lat === null) { showError(L10N.pinFirst); return; }
    if (name === "same") { send(null); return; }
    show(state.step + 1);
  });
  $("r-back").addEventListener("click", function () { show(Math.max(0, state.step - 1)); });

  renderCategories();
  show(0);
})();
