/* What every map of the site shares: the tile layer, the street's own base map when no tile server
 * answers, and the WGS-84 → GCJ-02 shift for Chinese tile providers.
 *
 *   const project = DCCMap.projector(config.tiles_crs);     // project.point(lat, lng), project.geometry(g)
 *   const base = DCCMap.base(map, {tilesUrl, basemapUrl, project, theme: "dark"});
 *   base.state  // {tiles: "none" | "waiting" | "ok" | "failed", vector: true | false}
 *
 * Our data is WGS-84. Chinese providers (Amap, Tianditu's GCJ sets) draw GCJ-02 (火星坐标): with
 * tiles_crs "gcj02" everything we draw is shifted to sit on their roads. Without a tile server (an
 * intranet, an offline pilot, the demo) the street's roads, compounds and buildings are drawn from
 * /api/v1/screen/basemap under the grids instead: with MAP_TILES_URL empty at once, otherwise when the
 * first tiles fail or none has loaded after a few seconds (the tile layer is then removed until the
 * page reloads).
 */
(function () {
  "use strict";

  const GCJ_A = 6378245.0;
  const GCJ_EE = 0.00669342162296594323;
  function outsideChina(lat, lng) {
    return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }
  function shiftLat(x, y) {
    let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
    r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
    r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
    return r;
  }
  function shiftLng(x, y) {
    let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
    r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
    r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
    return r;
  }
  function wgs84ToGcj02(lat, lng) {
    if (outsideChina(lat, lng)) return [lat, lng];
    const radLat = (lat / 180) * Math.PI;
    let magic = Math.sin(radLat);
    magic = 1 - GCJ_EE * magic * magic;
    const sqrtMagic = Math.sqrt(magic);
    const dLat = (shiftLat(lng - 105, lat - 35) * 180) / (((GCJ_A * (1 - GCJ_EE)) / (magic * sqrtMagic)) * Math.PI);
    const dLng = (shiftLng(lng - 105, lat - 35) * 180) / ((GCJ_A / sqrtMagic) * Math.cos(radLat) * Math.PI);
    return [lat + dLat, lng + dLng];
  }

  // point(lat, lng) -> [lat, lng] and geometry(GeoJSON) -> GeoJSON, in the tiles' coordinates.
  function projector(crs) {
    const gcj = String(crs || "").toLowerCase() === "gcj02";
    function point(lat, lng) {
      return gcj ? wgs84ToGcj02(lat, lng) : [lat, lng];
    }
    function position(pair) {
      const p = point(pair[1], pair[0]);
      return [p[1], p[0]];
    }
    function walk(coords, depth) {
      return depth === 0 ? position(coords) : coords.map(function (c) { return walk(c, depth - 1); });
    }
    const DEPTH = { Point: 0, LineString: 1, MultiPoint: 1, Polygon: 2, MultiLineString: 2, MultiPolygon: 3 };
    function geometry(g) {
      if (!gcj || !g || DEPTH[g.type] === undefined) return g;
      return { type: g.type, coordinates: walk(g.coordinates, DEPTH[g.type]) };
    }
    return { gcj: gcj, point: point, geometry: geometry };
  }

  const THEMES = {
    dark: {
      area: { color: "#1b2d45", weight: 0, fillColor: "#0f1f35", fillOpacity: 1 },
      roads: { color: "#2c4566", weight: 1, fillColor: "#22395a", fillOpacity: 1 },
      compound: { color: "#1f3656", weight: 1, fillColor: "#12233b", fillOpacity: 1 },
      building: { color: "#2b4a73", weight: 0.5, fillColor: "#1c3352", fillOpacity: 1 },
    },
    light: {
      area: { color: "#d9dee5", weight: 0, fillColor: "#eef1f4", fillOpacity: 1 },
      roads: { color: "#c9ced6", weight: 1, fillColor: "#ffffff", fillOpacity: 1 },
      compound: { color: "#d5dbc9", weight: 1, fillColor: "#e7ecdf", fillOpacity: 1 },
      building: { color: "#b9b3a6", weight: 0.5, fillColor: "#d9d3c7", fillOpacity: 1 },
    },
  };
  const TILE_WAIT_MS = 4000;
  const ERROR_TILE = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==";
  let geography = null; // one request per page, however many maps it draws

  function loadGeography(url) {
    if (!geography) {
      geography = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
        if (!r.ok) throw new Error(url + " answered " + r.status);
        return r.json();
      });
      geography.catch(function () { geography = null; }); // try again next time
    }
    return geography;
  }

  function base(map, options) {
    const project = options.project || projector("wgs84");
    const theme = THEMES[options.theme] || THEMES.light;
    const state = { tiles: options.tilesUrl ? "waiting" : "none", vector: false };
    if (map.options.maxZoom === undefined) map.setMaxZoom(19); // a tile layer would have said (marker clusters ask)
    if (!map.getPane("basemap")) map.createPane("basemap").style.zIndex = 150; // under tiles (200) and grids
    let vector = null;
    let gone = false; // the page removed this map (the console draws one per case shown)
    map.on("unload", function () { gone = true; });

    function showVector() {
      if (gone || vector || !options.basemapUrl) return;
      vector = L.layerGroup().addTo(map);
      state.vector = true;
      map.getContainer().classList.add("no-tiles");
      loadGeography(options.basemapUrl)
        .then(function (data) {
          if (gone || !vector) return;
          // The base map goes on a canvas: 1,000 buildings as SVG paths would slow every pan.
          const renderer = L.canvas({ pane: "basemap", padding: 0.3 });
          L.geoJSON(data, {
            pane: "basemap", interactive: false, renderer: renderer,
            coordsToLatLng: function (c) { const p = project.point(c[1], c[0]); return L.latLng(p[0], p[1]); },
            style: function (feature) { return theme[feature.properties.layer] || theme.area; },
          }).addTo(vector);
          state.features = data.features.length;
        })
        .catch(function (error) { console.error("basemap", error); });
    }
    if (options.tilesUrl) {
      let failed = 0;
      let tiles = null;
      // No answer: the tile layer goes (every pan would ask again in vain) and the street's map comes.
      const giveUp = function () {
        state.tiles = "failed";
        if (tiles && !gone) map.removeLayer(tiles);
        tiles = null;
        showVector();
      };
      tiles = L.tileLayer(options.tilesUrl, {
        maxZoom: 19, className: "tiles", attribution: options.attribution || "", subdomains: options.subdomains || "abc",
        errorTileUrl: ERROR_TILE,
      });
      tiles.on("tileload", function (e) {
        if (e.tile && e.tile.src === ERROR_TILE) return; // Leaflet reports its stand-in as loaded
        if (state.tiles === "waiting") state.tiles = "ok";
      });
      tiles.on("tileerror", function () {
        failed += 1;
        if (state.tiles === "waiting" && failed >= 2) giveUp();
      });
      tiles.addTo(map);
      setTimeout(function () {
        if (state.tiles === "waiting") giveUp();
      }, TILE_WAIT_MS);
    } else {
      showVector();
    }
    return { state: state };
  }

  window.DCCMap = { wgs84ToGcj02: wgs84ToGcj02, projector: projector, base: base };
})();
