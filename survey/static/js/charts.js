// Draw every chart of the page from its JSON block (no inline script, CSP-friendly).
// No mode bar: plotly.js would inject its style sheet, which the CSP refuses.
(function () {
  "use strict";
  function draw() {
    if (!window.Plotly) { return; }
    document.querySelectorAll(".plot[data-figure]").forEach(function (el) {
      var block = document.getElementById(el.getAttribute("data-figure"));
      if (!block) { return; }
      var fig = JSON.parse(block.textContent);
      window.Plotly.newPlot(el, fig.data, fig.layout || {},
        {displaylogo: false, displayModeBar: false, responsive: true});
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
