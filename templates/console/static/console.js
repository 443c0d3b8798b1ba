// The console's enhancements; every page works without this file.
// - Live updates: server-sent events from /console/events; the queue's rows and a ticket's
//   thread are refreshed in place (never under the pointer: then a banner offers to show them).
// - The live indicator: "Live · 10:42", "Reconnecting…", and "Offline" after 30 s.
// - Money and send buttons (data-once) disable themselves on submit; the server is the guard.
"use strict";
(function () {
  function hhmm() {
    var d = new Date();
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  function setLive(live, state, words) {
    live.className = "live " + state;
    live.textContent = words;
  }

  function refresh(id, onReplaced) {
    var current = document.getElementById(id);
    return fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(id);
        if (!fresh || !current) { return; }
        if (current.matches(":hover")) {
          var banner = document.querySelector(".newbanner");
          if (banner) { banner.classList.add("shown"); }
          return;
        }
        onReplaced(current, fresh);
        current.replaceWith(fresh);
      });
  }

  function markNewRows(current, fresh) {
    var seen = {};
    current.querySelectorAll("tr[data-ticket]").forEach(function (tr) { seen[tr.dataset.ticket] = true; });
    fresh.querySelectorAll("tr[data-ticket]").forEach(function (tr) {
      if (!seen[tr.dataset.ticket]) { tr.classList.add("fresh"); }
    });
  }

  function connect() {
    var live = document.getElementById("live");
    var anchor = document.querySelector("[data-since]");
    if (!live || !anchor || !window.EventSource) { return; }
    var lastOpen = Date.now();
    var source = new EventSource("/console/events?since=" + encodeURIComponent(anchor.dataset.since));
    source.addEventListener("open", function () {
      lastOpen = Date.now();
      setLive(live, "on", live.dataset.live + " · " + hhmm());
    });
    source.addEventListener("error", function () {
      var offline = Date.now() - lastOpen > 30000;
      setLive(live, offline ? "offline" : "reconnecting", offline ? live.dataset.offline : live.dataset.reconnecting);
    });
    source.addEventListener("changes", function (event) {
      var changes = JSON.parse(event.data);
      setLive(live, "on", live.dataset.live + " · " + hhmm());
      if (document.getElementById("queue-rows")) {
        refresh("queue-rows", markNewRows);
      } else if (anchor.dataset.ticket && changes.messages.indexOf(Number(anchor.dataset.ticket)) >= 0) {
        refresh("thread", function () {});
      }
    });
  }

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.dataset.once !== undefined) {
      setTimeout(function () { button.disabled = true; }, 0);
    }
  });
  connect();
})();
