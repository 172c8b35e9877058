// Waiting pages (an analysis or a draw in progress): reload every few seconds while the
// "refresh automatically" box is ticked. Without JavaScript the box stays hidden and the page
// keeps its plain "Refresh" link; with it, the user can still stop the reloads (WCAG 2.2.1).
(function () {
  "use strict";
  var box = document.getElementById("auto-refresh");
  if (!box) {
    return;
  }
  var holder = box.closest("[hidden]");
  if (holder) {
    holder.removeAttribute("hidden");
  }
  var key = "parlons-auto-refresh";
  try {
    box.checked = window.sessionStorage.getItem(key) !== "off";
  } catch (e) {
    box.checked = true;
  }
  var seconds = Number(box.getAttribute("data-seconds")) || 3;
  var timer = null;
  function schedule() {
    window.clearTimeout(timer);
    if (box.checked) {
      timer = window.setTimeout(function () {
        window.location.reload();
      }, seconds * 1000);
    }
  }
  box.addEventListener("change", function () {
    try {
      window.sessionStorage.setItem(key, box.checked ? "on" : "off");
    } catch (e) {
      // Storage refused: the choice holds for this page only.
    }
    schedule();
  });
  schedule();
})();
