// One WebSocket per tab to /ws/, shared by every live part of the page.
// Reconnects with exponential backoff and jitter; pages re-sync on "open".
(function () {
  "use strict";
  var body = document.body;
  var path = body && body.dataset.ws;
  if (!path || !("WebSocket" in window)) return;

  var handlers = {};
  var socket = null;
  var attempts = 0;
  var pingTimer = null;
  var pongTimer = null;
  var everOpened = false;

  function emit(type, data) {
    (handlers[type] || []).forEach(function (fn) {
      try { fn(data); } catch (e) { if (window.console) console.error(e); }
    });
    (handlers["*"] || []).forEach(function (fn) { fn(data); });
  }

  function url() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + location.host + path;
  }

  function connect() {
    emit("connecting", { attempt: attempts });
    try {
      socket = new WebSocket(url());
    } catch (e) {
      return schedule();
    }
    socket.onopen = function () {
      body.dataset.connected = "1";  // for styles and for tests that wait for the socket
      var reconnect = everOpened;
      everOpened = true;
      attempts = 0;
      heartbeat();
      emit("open", { reconnect: reconnect });
    };
    socket.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data.type === "pong") { clearTimeout(pongTimer); return; }
      emit(data.type, data);
    };
    socket.onclose = function (event) {
      body.dataset.connected = "0";
      clearInterval(pingTimer);
      clearTimeout(pongTimer);
      socket = null;
      emit("close", { code: event.code });
      // 4008: the server closed us for flooding; 1008/403-like refusals: signed out.
      if (event.code === 4401) return;
      schedule();
    };
    socket.onerror = function () { /* onclose follows */ };
  }

  function schedule() {
    attempts += 1;
    var base = Math.min(30000, 500 * Math.pow(2, Math.min(attempts, 6)));
    var delay = base / 2 + Math.random() * base / 2;  // jitter: no thundering herd after a restart
    setTimeout(connect, delay);
  }

  function heartbeat() {
    clearInterval(pingTimer);
    pingTimer = setInterval(function () {
      if (!send({ type: "ping" })) return;
      clearTimeout(pongTimer);
      pongTimer = setTimeout(function () { if (socket) socket.close(); }, 10000);
    }, 25000);
  }

  function send(obj) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(obj));
    return true;
  }

  window.Realtime = {
    on: function (type, fn) { (handlers[type] = handlers[type] || []).push(fn); },
    send: send,
    isOpen: function () { return !!socket && socket.readyState === WebSocket.OPEN; }
  };

  // Navigation badges: recounted from the server after any event that may move them.
  var countTimer = null;
  function setBadge(name, n) {
    var badge = document.querySelector('[data-badge="' + name + '"]');
    if (!badge) return;
    badge.querySelector("[data-count]").textContent = String(n);
    badge.hidden = !n;
  }
  function recount() {
    clearTimeout(countTimer);
    countTimer = setTimeout(function () {
      fetch("/api/v1/notifications/counts/", { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          setBadge("messages", data.messages);
          setBadge("notifications", data.notifications);
          emit("counts", data);
        })
        .catch(function () {});
    }, 250);
  }
  ["message.new", "conversation.read", "notification.new", "notification.read", "conversation.removed"].forEach(function (t) {
    window.Realtime.on(t, recount);
  });
  window.Realtime.on("open", function (info) { if (info.reconnect) recount(); });
  window.Realtime.recount = recount;

  // The inbox reorders itself when something arrives.
  var inbox = document.querySelector("[data-inbox]");
  if (inbox) {
    var inboxTimer = null;
    var refresh = function () {
      clearTimeout(inboxTimer);
      inboxTimer = setTimeout(function () {
        fetch(location.href, { credentials: "same-origin" })
          .then(function (r) { return r.text(); })
          .then(function (html) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.querySelector("[data-inbox]");
            if (fresh) inbox.replaceWith(fresh), inbox = fresh;
          })
          .catch(function () {});
      }, 400);
    };
    ["message.new", "conversation.read", "conversation.removed", "conversation.updated"].forEach(function (t) {
      window.Realtime.on(t, refresh);
    });
  }

  connect();
})();
