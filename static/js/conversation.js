// The conversation page: live messages over the shared socket, with delivery
// state (sending, sent, failed + retry), gap detection and catch-up through
// `sync`, typing indication and read marks. Without JavaScript the page's
// forms still work.
(function () {
  "use strict";
  var root = document.getElementById("conversation");
  if (!root || !window.Realtime) return;
  var RT = window.Realtime;
  var conversationId = Number(root.dataset.conversation);
  var me = Number(root.dataset.user);
  var lastId = Number(root.dataset.lastId) || 0;
  var list = document.getElementById("messages");
  var form = root.querySelector("[data-composer]");
  var textarea = form.querySelector("textarea");
  var template = document.getElementById("message-template");
  var typingLine = root.querySelector("[data-typing]");
  var connection = root.querySelector("[data-connection]");
  var t = root.dataset;
  var pending = {};        // client_id -> {body, li, timer}
  var syncing = false;
  var syncAgain = false;
  var readTimer = null;
  var typingTimers = {};
  var lastTypingSent = 0;
  var base = "/messages/" + conversationId + "/";

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = (crypto.getRandomValues(new Uint8Array(1))[0] & 15);
      return (c === "x" ? r : (r & 3) | 8).toString(16);
    });
  }

  function formatTime(iso) {
    var lang = document.documentElement.lang || "en";
    // English as written in Europe (day/month, 24 hours), like the server's formats.
    return new Date(iso).toLocaleString(lang === "en" ? "en-GB" : lang, { dateStyle: "short", timeStyle: "short" });
  }

  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  }

  function scrollDown() { form.scrollIntoView({ block: "end" }); }

  function build(message) {
    var li = template.content.firstElementChild.cloneNode(true);
    fill(li, message);
    return li;
  }

  function fill(li, m) {
    li.id = "m" + m.id;
    li.dataset.id = m.id;
    li.dataset.sender = m.sender;
    li.classList.toggle("mine", m.sender === me);
    li.classList.toggle("deleted", !!m.deleted);
    li.querySelector('[data-slot="sender"]').textContent = m.sender_name;
    var time = li.querySelector('[data-slot="time"]');
    time.dateTime = m.created_at;
    time.textContent = formatTime(m.created_at);
    var edited = li.querySelector('[data-slot="edited"]');
    edited.hidden = !m.edited_at || m.deleted;
    edited.textContent = "(" + t.tEdited + ")";
    var body = li.querySelector('[data-slot="body"]');
    if (m.deleted) {
      body.innerHTML = "";
      var em = document.createElement("em");
      em.textContent = t.tDeleted;
      body.appendChild(em);
    } else {
      body.innerHTML = m.body_html;  // sanitised by the server (nh3)
    }
    var tools = li.querySelector('[data-slot="tools"]');
    if (tools) {
      tools.hidden = !!m.deleted;
      tools.querySelector('[data-slot="own"]').hidden = m.sender !== me;
      tools.querySelector('[data-slot="theirs"]').hidden = m.sender === me;
      tools.querySelectorAll("form[data-action]").forEach(function (f) {
        f.action = base + m.id + "/" + f.dataset.action + "/";
        var area = f.querySelector("textarea");
        var label = f.querySelector("label");
        if (area && label) { area.id = f.dataset.action + "-" + m.id; label.htmlFor = area.id; }
        if (f.dataset.action === "edit" && area) area.value = m.body;
      });
    }
    return li;
  }

  function setState(li, text, failed) {
    var state = li.querySelector('[data-slot="state"]');
    if (!state) return;
    state.textContent = text;
    li.classList.toggle("failed", !!failed);
  }

  function removeEmpty() {
    var empty = root.querySelector("[data-empty]");
    if (empty) empty.remove();
  }

  function append(m) {
    if (m.id <= lastId && document.getElementById("m" + m.id)) return;
    var existing = document.getElementById("m" + m.id);
    if (existing) { fill(existing, m); return; }
    var stick = nearBottom();
    removeEmpty();
    list.appendChild(build(m));
    if (m.id > lastId) lastId = m.id;
    if (stick) scrollDown();
    markRead();
  }

  function markRead() {
    if (document.visibilityState !== "visible") return;
    clearTimeout(readTimer);
    readTimer = setTimeout(function () {
      RT.send({ type: "read", conversation: conversationId, up_to: lastId });
    }, 300);
  }

  function sync() {
    // A gap seen while a sync is in flight needs another round once it answers.
    if (syncing) { syncAgain = true; return; }
    syncing = RT.send({ type: "sync", conversation: conversationId, after: lastId });
  }

  // Sending, with delivery state.
  function sendPending(clientId) {
    var p = pending[clientId];
    if (!p) return;
    setState(p.li, t.tSending, false);
    clearTimeout(p.timer);
    RT.send({ type: "message.send", conversation: conversationId, body: p.body, client_id: clientId });
    // No ack in time: show the failure with a retry. A late ack still wins.
    p.timer = setTimeout(function () { fail(clientId, t.tFailed); }, 10000);
  }

  function fail(clientId, reason) {
    var p = pending[clientId];
    if (!p) return;
    clearTimeout(p.timer);
    setState(p.li, reason, true);
    var state = p.li.querySelector('[data-slot="state"]');
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "link-button";
    retry.textContent = t.tRetry;
    retry.addEventListener("click", function () { retry.remove(); sendPending(clientId); });
    state.appendChild(document.createTextNode(" "));
    state.appendChild(retry);
  }

  form.addEventListener("submit", function (event) {
    var body = textarea.value.trim();
    if (!body) { event.preventDefault(); return; }
    event.preventDefault();
    var clientId = uuid();
    removeEmpty();
    var li = build({ id: 0, sender: me, sender_name: "", created_at: new Date().toISOString(), body: body, body_html: "", deleted: false });
    li.removeAttribute("id");
    li.classList.add("pending");
    li.querySelector('[data-slot="body"]').textContent = body;
    li.querySelector('[data-slot="tools"]').hidden = true;
    list.appendChild(li);
    pending[clientId] = { body: body, li: li, timer: null };
    textarea.value = "";
    scrollDown();
    sendPending(clientId);
  });

  textarea.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  textarea.addEventListener("input", function () {
    var now = Date.now();
    if (now - lastTypingSent > 3000 && RT.send({ type: "typing", conversation: conversationId })) {
      lastTypingSent = now;
    }
  });

  RT.on("message.ack", function (data) {
    var p = pending[data.client_id];
    if (!p) return;
    clearTimeout(p.timer);
    delete pending[data.client_id];
    var m = data.message;
    var existing = document.getElementById("m" + m.id);
    if (existing) { p.li.remove(); return; }
    p.li.classList.remove("pending", "failed");
    fill(p.li, m);
    setState(p.li, t.tSent, false);
    if (m.id > lastId) lastId = m.id;
  });

  RT.on("error", function (data) {
    if (!data.client_id || !pending[data.client_id]) return;
    if (data.code === "rate_limited") {
      var clientId = data.client_id;
      setState(pending[clientId].li, t.tRate, false);
      clearTimeout(pending[clientId].timer);
      pending[clientId].timer = setTimeout(function () { sendPending(clientId); }, 1500 + Math.random() * 1000);
      return;
    }
    fail(data.client_id, t.tFailed + " " + (data.detail || ""));
  });

  RT.on("message.new", function (data) {
    var m = data.message;
    if (m.conversation !== conversationId) return;
    // Our own message arrives as an ack too; the ack fills the pending line.
    for (var key in pending) {
      if (key === m.client_id) return;
    }
    if (typeof m.prev_id === "number" && m.prev_id > lastId) {
      sync();  // we missed something: fetch it in order, this one included
      return;
    }
    append(m);
    var who = typingTimers[m.sender];
    if (who) { clearTimeout(who); delete typingTimers[m.sender]; renderTyping(); }
  });

  RT.on("message.updated", function (data) {
    var m = data.message;
    if (m.conversation !== conversationId) return;
    var li = document.getElementById("m" + m.id);
    if (li) fill(li, m);
  });

  RT.on("sync.result", function (data) {
    if (data.conversation !== conversationId) return;
    syncing = false;
    data.messages.forEach(function (m) {
      // A message of ours that is still pending here was stored: settle it.
      if (pending[m.client_id]) {
        var p = pending[m.client_id];
        clearTimeout(p.timer);
        delete pending[m.client_id];
        p.li.remove();
      }
      append(m);
    });
    if (data.has_more || syncAgain) { syncAgain = false; sync(); }
  });

  var typingNames = {};
  function renderTyping() {
    var names = Object.keys(typingTimers).map(function (id) { return typingNames[id]; });
    typingLine.textContent = names.length ? t.tTyping.replace("%(name)s", names.join(", ")) : "";
  }
  RT.on("typing", function (data) {
    if (data.conversation !== conversationId || data.user === me) return;
    typingNames[data.user] = data.name;
    clearTimeout(typingTimers[data.user]);
    typingTimers[data.user] = setTimeout(function () { delete typingTimers[data.user]; renderTyping(); }, 5000);
    renderTyping();
  });

  RT.on("conversation.removed", function (data) {
    if (data.conversation === conversationId) location.assign("/messages/");
  });

  RT.on("open", function () {
    connection.textContent = t.tOnline;
    root.classList.remove("offline");
    syncing = false;
    sync();
    Object.keys(pending).forEach(sendPending);  // resends are idempotent (client_id)
    markRead();
  });
  RT.on("close", function () {
    connection.textContent = t.tOffline;
    root.classList.add("offline");
    syncing = false;
  });

  document.addEventListener("visibilitychange", markRead);
  if (RT.isOpen()) { sync(); markRead(); }
  scrollDown();
})();
