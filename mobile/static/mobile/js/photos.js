/* Photos from the camera: resized and compressed in the browser (compressorjs) to at most 500 KB, with
 * the time, the GPS position, the address and the person stamped on the image the way field workers'
 * watermark cameras do; the same values go to the server as fields (photo_lat, photo_lng, taken_at).
 *
 *   DCCPhotos.stamp(file, {lat, lng, address, by, labels}) -> Promise<{blob, name, size, lat, lng, takenAt}>
 *   DCCPhotos.position() -> Promise<{lat, lng, accuracy}>
 *   DCCPhotos.distance(lat1, lng1, lat2, lng2) -> metres
 */
(function () {
  "use strict";

  const MAX_BYTES = 500 * 1024;
  const QUALITIES = [0.8, 0.65, 0.5, 0.38, 0.28];

  function pad(n) { return String(n).padStart(2, "0"); }

  function stampLines(values, when) {
    const labels = values.labels || {};
    const date = when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate());
    const weekday = ["日", "一", "二", "三", "四", "五", "六"][when.getDay()];
    const lines = [date + " 星期" + weekday];
    if (typeof values.lat === "number" && typeof values.lng === "number") {
      lines.push((labels.stampPlace || "GPS") + " " + values.lat.toFixed(6) + ", " + values.lng.toFixed(6));
    }
    if (values.address) lines.push((labels.stampAddress || "Address") + " " + values.address);
    if (values.by) lines.push((labels.stampBy || "By") + " " + values.by);
    return { time: pad(when.getHours()) + ":" + pad(when.getMinutes()), lines: lines };
  }

  // Bottom left, on a dark band: the big time, then the date, position, address and person.
  function drawStamp(context, canvas, values, when) {
    const text = stampLines(values, when);
    const unit = Math.max(14, Math.round(Math.min(canvas.width, canvas.height) / 30));
    const big = unit * 2.2;
    const lineHeight = unit * 1.35;
    const height = big + lineHeight * text.lines.length + unit * 1.4;
    const top = canvas.height - height;
    context.save();
    context.fillStyle = "rgba(0, 0, 0, 0.45)";
    context.fillRect(0, top, canvas.width, height);
    context.fillStyle = "#fff";
    context.textBaseline = "top";
    context.font = "bold " + Math.round(big) + "px sans-serif";
    context.fillText(text.time, unit * 0.8, top + unit * 0.5);
    context.fillStyle = "#ffcf33";
    context.fillRect(unit * 0.8 + context.measureText(text.time).width + unit * 0.5, top + unit * 0.7, unit * 0.25, big * 0.85);
    context.fillStyle = "#fff";
    context.font = Math.round(unit) + "px sans-serif";
    text.lines.forEach(function (line, index) {
      context.fillText(line, unit * 0.8, top + big + unit * 0.9 + index * lineHeight, canvas.width - unit * 1.6);
    });
    context.restore();
  }

  function compress(file, values, when, quality) {
    return new Promise(function (resolve, reject) {
      // eslint-disable-next-line no-new
      new Compressor(file, {
        quality: quality, maxWidth: 1600, maxHeight: 1600, mimeType: "image/jpeg", convertSize: 0,
        checkOrientation: true, strict: false,
        drew: function (context, canvas) { drawStamp(context, canvas, values, when); },
        success: resolve, error: reject,
      });
    });
  }

  async function stamp(file, values) {
    const when = new Date();
    let blob = null;
    for (const quality of QUALITIES) {
      blob = await compress(file, values, when, quality);
      if (blob.size <= MAX_BYTES) break;
    }
    if (blob.size > MAX_BYTES) throw new Error("photo still larger than 500 KB");
    return {
      blob: blob, name: "photo-" + when.getTime() + ".jpg", size: blob.size,
      lat: values.lat, lng: values.lng, takenAt: when.toISOString(),
    };
  }

  function position() {
    return new Promise(function (resolve, reject) {
      if (!navigator.geolocation) { reject(new Error("no geolocation")); return; }
      navigator.geolocation.getCurrentPosition(
        function (found) {
          resolve({ lat: found.coords.latitude, lng: found.coords.longitude, accuracy: found.coords.accuracy });
        },
        function (error) { reject(new Error(error.message || "position unavailable")); },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 }  // a fresh fix: check-ins and tracks need where the phone is now
      );
    });
  }

  function distance(lat1, lng1, lat2, lng2) {
    const rad = Math.PI / 180;
    const a = Math.sin((lat2 - lat1) * rad / 2) ** 2 +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin((lng2 - lng1) * rad / 2) ** 2;
    return 2 * 6371000 * Math.asin(Math.sqrt(a));
  }

  window.DCCPhotos = { stamp: stamp, position: position, distance: distance, MAX_BYTES: MAX_BYTES };
})();
