"""``/api/v1/docs``: a small page that lists every operation of the OpenAPI
document (no third-party front-end code: it must work offline)."""

from flask import Blueprint, Response, render_template_string

bp = Blueprint("api_docs", __name__)

# Served as its own file: the CSP allows no inline script.
SCRIPT = """(function () {
  var root = document.getElementById("ops");
  var specUrl = root.getAttribute("data-spec");
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text; return e; }
  fetch(specUrl).then(function (r) { return r.json(); }).then(function (spec) {
    root.textContent = "";
    var groups = {};
    Object.keys(spec.paths).sort().forEach(function (path) {
      Object.keys(spec.paths[path]).forEach(function (method) {
        var op = spec.paths[path][method];
        if (typeof op !== "object" || !op.responses) return;
        var tag = (op.tags && op.tags[0]) || "other";
        (groups[tag] = groups[tag] || []).push([method, path, op]);
      });
    });
    Object.keys(groups).sort().forEach(function (tag) {
      root.appendChild(el("h2", "", tag));
      groups[tag].forEach(function (item) {
        var d = el("details"), s = el("summary");
        s.appendChild(el("span", "m " + item[0], item[0].toUpperCase()));
        s.appendChild(el("code", "", item[1]));
        s.appendChild(el("span", "perm", item[2]["x-permission"] || ""));
        d.appendChild(s);
        if (item[2].summary) d.appendChild(el("p", "", item[2].summary));
        if (item[2].description) d.appendChild(el("p", "", item[2].description));
        d.appendChild(el("pre", "", JSON.stringify({parameters: item[2].parameters,
          requestBody: item[2].requestBody, responses: item[2].responses}, null, 2)));
        root.appendChild(d);
      });
    });
  }).catch(function (err) { root.textContent = "Could not load the document: " + err; });
})();
"""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{margin-top:2rem;border-bottom:1px solid #ddd}
details{border:1px solid #ddd;border-radius:6px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer} code,pre{font:13px ui-monospace,monospace} pre{background:#f6f6f6;padding:.6rem;overflow:auto}
.m{display:inline-block;width:4.5rem;font-weight:bold}.get{color:#06c}.post{color:#090}.patch,.put{color:#b60}
.delete{color:#c00}.perm{float:right;color:#666;font-size:12px}
</style></head><body>
<h1>{{ title }}</h1>
<p>The machine-readable document is <a href="{{ spec_url }}"><code>{{ spec_url }}</code></a>.
Authenticate with <code>Authorization: Bearer &lt;token&gt;</code> or a session cookie.</p>
<div id="ops" data-spec="{{ spec_url }}">Loading…</div>
<script src="{{ script_url }}"></script></body></html>"""


@bp.get("/api/v1/docs")
def page():
    """The API reference page (public, like the document it reads)."""
    return render_template_string(
        PAGE, title="Helpline API", spec_url="/api/v1/openapi.json", script_url="/api/v1/docs.js"
    )


@bp.get("/api/v1/docs.js")
def script():
    """The reference page's script."""
    return Response(SCRIPT, mimetype="text/javascript", headers={"Cache-Control": "public, max-age=300"})
