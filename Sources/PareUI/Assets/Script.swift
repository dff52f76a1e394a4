/// The page script, served at /assets/app.js: a live check of the filter box against
/// /api/runs (how many runs match, or the error and its column), and the hover box of the
/// trade-off plot. The pages work without it.
enum Script {
    static let js = #"""
    "use strict";
    (function () {
      var filter = document.getElementById("filter");
      var status = document.getElementById("filter-status");
      if (filter && status) {
        var timer = null;
        filter.addEventListener("input", function () {
          clearTimeout(timer);
          timer = setTimeout(function () {
            var text = filter.value;
            fetch("/api/runs?limit=0&where=" + encodeURIComponent(text))
              .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
              .then(function (res) {
                if (filter.value !== text) return;
                if (res.ok) {
                  status.textContent = res.body.total + " runs match";
                  status.className = "status";
                } else {
                  var e = res.body.error || {};
                  status.textContent = e.message || "error";
                  status.className = "status bad";
                }
              })
              .catch(function () { status.textContent = ""; });
          }, 200);
        });
      }
      var hover = document.getElementById("hover");
      var plot = document.getElementById("plot-area");
      if (hover && plot) {
        plot.addEventListener("mousemove", function (ev) {
          var link = ev.target.closest ? ev.target.closest("a[data-run]") : null;
          if (!link) { hover.style.display = "none"; return; }
          var title = link.querySelector("title");
          hover.textContent = (title ? title.textContent : "run " + link.getAttribute("data-run")) + " (click to open)";
          hover.style.left = (ev.clientX + 14) + "px";
          hover.style.top = (ev.clientY + 10) + "px";
          hover.style.display = "block";
        });
        plot.addEventListener("mouseleave", function () { hover.style.display = "none"; });
      }
    })();
    """#
}
