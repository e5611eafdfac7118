// Uplink panel: confirmation before destructive forms, select-all and bulk options, and the online
// list's auto-refresh. Everything works without it; it only adds comfort.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (form.hasAttribute("data-confirm-bulk")) {
      var action = form.querySelector("#bulk-action");
      var count = form.querySelectorAll("input[name=ids]:checked").length;
      if (action && action.value) {
        question = action.options[action.selectedIndex].text + " " + count + " customer" + (count === 1 ? "" : "s") + "?";
      }
    }
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  function updateSelection() {
    var boxes = document.querySelectorAll("input[name=ids]");
    var checked = document.querySelectorAll("input[name=ids]:checked").length;
    var label = document.getElementById("selected-count");
    if (label) { label.textContent = checked ? checked + " selected" : ""; }
    var all = document.getElementById("select-all");
    if (all) { all.checked = boxes.length > 0 && checked === boxes.length; }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "select-all") {
      document.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = target.checked; });
    }
    if (target.id === "bulk-action") {
      document.querySelectorAll(".bulk-extra").forEach(function (extra) {
        extra.classList.toggle("shown", extra.getAttribute("data-for") === target.value);
      });
    }
    if (target.name === "ids" || target.id === "select-all") { updateSelection(); }
  });

  // Auto-refresh (the online list): reload every N seconds unless the user is typing in the filters.
  var refreshing = document.querySelector("[data-refresh]");
  if (refreshing) {
    var seconds = parseInt(refreshing.getAttribute("data-refresh"), 10) || 10;
    setInterval(function () {
      var active = document.activeElement;
      if (active && refreshing.contains(active) && active.tagName !== "BUTTON") { return; }
      window.location.reload();
    }, seconds * 1000);
  }
})();
