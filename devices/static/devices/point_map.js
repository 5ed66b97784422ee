/* Place a sensor point by clicking a Leaflet map: fills the latitude and longitude inputs (WGS84). */
(function () {
  "use strict";

  function areaLayers(map, areas) {
    var layers = [];
    (areas.grids || []).forEach(function (area) {
      layers.push(L.geoJSON(area.boundary, { style: { color: "#2b6cb0", weight: 1, fillOpacity: 0.05 } })
        .bindTooltip(document.createTextNode(area.name)));  // a name is text, never HTML
    });
    (areas.compounds || []).forEach(function (area) {
      layers.push(L.geoJSON(area.boundary, { style: { color: "#c05621", weight: 1, fillOpacity: 0.12 } })
        .bindTooltip(document.createTextNode(area.name)));  // a name is text, never HTML
    });
    var group = L.featureGroup(layers).addTo(map);
    return layers.length ? group.getBounds() : null;
  }

  function init(element) {
    var latInput = document.getElementById(element.dataset.latInput);
    var lngInput = document.getElementById(element.dataset.lngInput);
    var centre = element.dataset.centre.split(",").map(Number);
    var map = L.map(element).setView(centre, Number(element.dataset.zoom) || 15);
    if (element.dataset.crs === "wgs84" && element.dataset.tiles) {
      // A provider in GCJ-02 would shift the map by hundreds of metres: only WGS84 tiles here.
      L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
    }
    var areasScript = document.getElementById(element.dataset.areas);
    var bounds = areasScript ? areaLayers(map, JSON.parse(areasScript.textContent)) : null;
    var marker = null;

    function show(lat, lng) {
      if (marker === null) {
        marker = L.marker([lat, lng], { draggable: true }).addTo(map);
        marker.on("dragend", function () {
          var at = marker.getLatLng();
          fill(at.lat, at.lng);
        });
      } else {
        marker.setLatLng([lat, lng]);
      }
    }

    function fill(lat, lng) {
      latInput.value = lat.toFixed(7);
      lngInput.value = lng.toFixed(7);
      latInput.dispatchEvent(new Event("change"));
    }

    map.on("click", function (event) {
      show(event.latlng.lat, event.latlng.lng);
      fill(event.latlng.lat, event.latlng.lng);
    });

    function fromInputs() {
      var lat = parseFloat(latInput.value), lng = parseFloat(lngInput.value);
      if (isFinite(lat) && isFinite(lng)) {
        show(lat, lng);
        return true;
      }
      return false;
    }
    latInput.addEventListener("input", fromInputs);
    lngInput.addEventListener("input", fromInputs);
    if (fromInputs()) {
      map.setView(marker.getLatLng(), 17);
    } else if (bounds) {
      map.fitBounds(bounds);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".dcc-point-map").forEach(init);
  });
})();
