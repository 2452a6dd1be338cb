// A partnership discussion's header (its people, under their aliases or not) is
// fetched again when the server says the conversation changed (a side revealed
// itself): the messages and the composer stay as they are.
(function () {
  "use strict";
  var root = document.getElementById("conversation");
  if (!root || !window.Realtime) return;
  var conversationId = Number(root.dataset.conversation);
  window.Realtime.on("conversation.updated", function (data) {
    if (data.conversation !== conversationId) return;
    fetch(location.pathname, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("[data-conversation-head]");
        var head = document.querySelector("[data-conversation-head]");
        if (fresh && head) head.replaceWith(fresh);
        if (doc.title) document.title = doc.title;
      })
      .catch(function () {});
  });
})();
