// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setupNavToggle() {
    var button = document.querySelector(".nav-toggle");
    var nav = document.getElementById("site-nav");
    if (!button || !nav) return;
    button.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // Forms marked data-autosubmit submit themselves (through htmx when present)
  // when a filter changes; the submit button stays for keyboard and no-JS users.
  function setupAutosubmit(root) {
    root.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
      if (form.dataset.autosubmitReady) return;
      form.dataset.autosubmitReady = "1";
      form.addEventListener("change", function (event) {
        if (event.target.matches("input[type=checkbox], input[type=radio], select")) {
          form.requestSubmit();
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupNavToggle();
    setupAutosubmit(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    setupAutosubmit(document);
  });
})();
