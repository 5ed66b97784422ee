/* The one client of the realtime contract (command_center/realtime.py), shared by the wall screen,
 * the console and the phones' page.
 *
 *   const live = DCCRealtime.connect({
 *     path: "/ws/screen/", params: {grid: 3},
 *     onEvents(events, frame) {},   // decoded events: {event, events, kind, id, version, since, grid, at, data, group, seq}
 *     onResync(reason) {},          // reload what the page shows: connected, reconnected or a gap
 *     onStatus(up) {},              // the socket opened (after its hello) or closed
 *   });
 *   live.inject(frame); live.close(); live.stats
 *
 * The socket sends a hello when it opens and then frames of events. Whatever happened while a page was
 * away is in the database, not in the socket: every hello asks the page to reload. A frame saying
 * `resync` (the server saw a sequence gap) does too. Each page compares an event's version (and `since`,
 * the first version its window saw) with the one it holds: stale events are skipped, a jump reloads.
 */
(function () {
  "use strict";

  // One event, whatever path it came by: a coalesced one names all of its window's events.
  function decode(raw) {
    const names = Array.isArray(raw.events) && raw.events.length ? raw.events.slice() : [raw.event];
    return {
      event: raw.event || names[names.length - 1],
      events: names,
      kind: raw.kind,
      id: raw.id,
      version: typeof raw.version === "number" ? raw.version : 0,
      since: typeof raw.since === "number" ? raw.since : raw.version,
      grid: raw.grid === undefined ? null : raw.grid,
      at: raw.at || null,
      data: raw.data || {},
      group: raw.group || null,
      seq: typeof raw.seq === "number" ? raw.seq : 0,
    };
  }

  function connect(options) {
    const stats = { frames: 0, hellos: 0, received: 0, events: 0, resyncs: 0, connected: false, lastResyncReason: "" };
    let retry = 1000;
    let socket = null;
    let closed = false;

    function url() {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const params = new URLSearchParams();
      Object.entries(options.params || {}).forEach(function (pair) {
        if (pair[1] !== null && pair[1] !== undefined && pair[1] !== "") params.set(pair[0], pair[1]);
      });
      const query = params.toString();
      return scheme + "://" + location.host + options.path + (query ? "?" + query : "");
    }
    function status(up) {
      stats.connected = up;
      if (options.onStatus) options.onStatus(up);
    }
    function resync(reason) {
      stats.resyncs += 1;
      stats.lastResyncReason = reason;
      if (options.onResync) options.onResync(reason);
    }
    function handle(frame) {
      stats.frames += 1;
      if (frame.type === "hello") {
        stats.hellos += 1;
        retry = 1000;
        status(true);
        resync(stats.hellos > 1 ? "reconnected" : "connected");
        return;
      }
      if (frame.type !== "events") return;
      const events = (frame.events || []).map(decode);
      stats.received += frame.received || events.length;
      stats.events += events.length;
      if (events.length && options.onEvents) options.onEvents(events, frame);
      if (frame.resync) resync("server saw a gap");
    }
    function open() {
      if (closed) return;
      socket = new WebSocket(url());
      socket.onmessage = function (message) {
        let frame;
        try {
          frame = JSON.parse(message.data);
        } catch (error) {
          console.error("realtime: not a frame", error);
          return;
        }
        handle(frame);
      };
      socket.onclose = function () {
        socket = null;
        if (stats.connected) status(false);
        if (closed) return;
        setTimeout(open, retry);
        retry = Math.min(retry * 2, 15000);
      };
      socket.onerror = function () { /* onclose follows and reconnects */ };
    }
    open();
    return {
      stats: stats,
      inject: handle, // a frame handled exactly as one from the socket (tests)
      reconnect: function () { if (socket) socket.close(); },
      close: function () {
        closed = true;
        if (socket) socket.close();
      },
    };
  }

  window.DCCRealtime = { connect: connect, decode: decode };
})();
