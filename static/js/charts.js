/* Charts: draws each Plotly figure a page embeds (json_script, see templates/dashboards/_plot.html)
   and follows a point's link when it is clicked: a point that leads somewhere carries its URL as the
   first item of its customdata. Without JavaScript, or without plotly.js, the charts are simply
   absent: each one's "Show data" table holds the same numbers and the same links. */
(function () {
  "use strict";

  var plots = document.querySelectorAll("[data-chart]");
  if (!plots.length || !window.Plotly) {
    return;
  }
  var CONFIG = { displayModeBar: false, responsive: true, scrollZoom: false, doubleClick: false, showTips: false };

  function linkOf(point) {
    var data = point && point.customdata;
    if (Array.isArray(data)) {
      data = data[0];
    }
    // Only links within this site: a path, never a scheme.
    return typeof data === "string" && data.charAt(0) === "/" && data.charAt(1) !== "/" ? data : null;
  }

  function hasLinks(figure) {
    return figure.data.some(function (trace) {
      var data = trace.customdata;
      while (Array.isArray(data) && data.length) {
        data = data.find(function (item) { return item !== null; });
        if (typeof data === "string") {
          return data.charAt(0) === "/";
        }
      }
      return false;
    });
  }

  plots.forEach(function (element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    var figure = source ? JSON.parse(source.textContent) : null;
    if (!figure || !figure.data) {
      return;
    }
    if (hasLinks(figure)) {
      element.classList.add("chart__plot--links");
    }
    window.Plotly.newPlot(element, figure.data, figure.layout, CONFIG).then(function () {
      element.on("plotly_click", function (event) {
        var url = linkOf(event.points && event.points[0]);
        if (url) {
          window.location.assign(url);
        }
      });
      element.setAttribute("data-chart-ready", "true");
    });
  });
})();
