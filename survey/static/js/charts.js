// Draw every chart of the page from its JSON block (no inline script, CSP-friendly).
// plotly.js's rules come from /static/css/plotly.css (it adds no <style> of its own when the
// page has #plotly.js-style-global.no-inline-styles); dates and numbers follow the page's
// language (the French locale is registered by plotly-locale-fr.js).
(function () {
  "use strict";
  function draw() {
    if (!window.Plotly) { return; }
    var locale = document.documentElement.lang === "fr" ? "fr" : "en";
    document.querySelectorAll(".plot[data-figure]").forEach(function (el) {
      var block = document.getElementById(el.getAttribute("data-figure"));
      if (!block) { return; }
      var fig = JSON.parse(block.textContent);
      window.Plotly.newPlot(el, fig.data, fig.layout || {},
        {displaylogo: false, displayModeBar: false, responsive: true, locale: locale});
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
