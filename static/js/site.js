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

  // On a phone the filters would push the results far down: keep only the
  // facets in use open there.
  function compactFacets(root) {
    if (!window.matchMedia("(max-width: 820px)").matches) return;
    root.querySelectorAll(".facets details").forEach(function (details) {
      if (!details.querySelector("input:checked")) details.open = false;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupNavToggle();
    setupAutosubmit(document);
    compactFacets(document);
  });
  document.addEventListener("htmx:afterSwap", function () {
    setupAutosubmit(document);
    compactFacets(document);
  });
})();
