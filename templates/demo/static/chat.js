// The demo chat, live: bot replies appear without a reload (the page fetches its messages part
// every 1.5 s), and Enter sends while Shift+Enter starts a new line. Without this file the page
// works the same, with the "Refresh" link.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.fetch) {
    return;
  }
  var url = live.getAttribute("data-poll");
  var last = null;

  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 120;
  }

  function toBottom() {
    window.scrollTo(0, document.body.scrollHeight);
  }

  function poll() {
    if (document.hidden) {
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null || html === last) {
          return;
        }
        // Replace on the first answer too: a reply that arrived between the page's render and
        // this fetch is in it, and would otherwise wait for the next change to be shown.
        var stick = nearBottom();
        live.innerHTML = html;
        last = html;
        if (stick) {
          toBottom();
        }
      })
      .catch(function () {});
  }

  var text = document.getElementById("text");
  if (text) {
    text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        if (text.value.trim()) {
          text.form.submit();
        }
      }
    });
  }
  toBottom();
  poll();
  window.setInterval(poll, 1500);
})();
