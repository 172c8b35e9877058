// Waiting pages (an analysis or a draw in progress). Without JavaScript the page offers a
// plain "Refresh" link. With it, while the "refresh automatically" box is ticked, the page
// asks the server every few seconds how things stand and updates its status text in place,
// so that focus and reading position stay where they are; it loads the next page only once
// the work is over (the status changes or the server sends elsewhere). Unticking the box
// stops the checks.
(function () {
  "use strict";
  var box = document.getElementById("auto-refresh");
  var status = document.getElementById("wait-status");
  if (!box || !status || !window.fetch || !window.DOMParser) {
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
      timer = window.setTimeout(check, seconds * 1000);
    }
  }

  function update(page) {
    var fresh = page.getElementById("wait-status");
    if (!fresh || fresh.getAttribute("data-state") !== status.getAttribute("data-state")) {
      window.location.reload();
      return;
    }
    if (fresh.textContent !== status.textContent) {
      status.textContent = fresh.textContent;
    }
    var bar = document.getElementById("wait-progress");
    var freshBar = page.getElementById("wait-progress");
    if (bar && freshBar && bar.value !== freshBar.value) {
      bar.value = freshBar.value;
      bar.textContent = freshBar.textContent;
    }
    schedule();
  }

  function check() {
    // A check that hangs is given up after a while, and the next one is scheduled.
    var abort = window.AbortController ? new window.AbortController() : null;
    var limit = abort ? window.setTimeout(function () { abort.abort(); }, 10000) : null;
    window
      .fetch(window.location.href, {
        credentials: "same-origin",
        signal: abort ? abort.signal : undefined,
      })
      .then(function (response) {
        window.clearTimeout(limit);
        if (!box.checked) {
          return; // Unticked while this check was on its way: nothing more happens.
        }
        if (response.status >= 500) {
          schedule(); // A passing server error: ask again later, keep this page.
          return;
        }
        if (response.redirected) {
          window.location.assign(response.url);
          return;
        }
        return response.text().then(function (html) {
          if (box.checked) {
            update(new window.DOMParser().parseFromString(html, "text/html"));
          }
        });
      })
      .catch(function () {
        window.clearTimeout(limit);
        schedule();
      });
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
