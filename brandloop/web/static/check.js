/* The rulebook page's "Check this copy" box: posts the copy as the person types, marks each alert in place. */
(function () {
  "use strict";
  var box = document.getElementById("check-copy");
  if (!box) return;
  var name = box.dataset.rulebook;
  var text = document.getElementById("check-text");
  var channel = document.getElementById("check-channel");
  var kind = document.getElementById("check-kind");
  var view = document.getElementById("check-highlight");
  var list = document.getElementById("check-alerts");
  var summary = document.getElementById("check-summary");
  var timer = null, seq = 0;

  fetch("/api/channels").then(function (r) { return r.json(); }).then(function (chs) {
    Object.keys(chs).forEach(function (k) {
      var o = document.createElement("option");
      o.value = k; o.textContent = k + " (" + chs[k] + ")";
      channel.appendChild(o);
    });
  });

  function render(copy, alerts) {
    view.textContent = "";
    var lines = copy.split("\n");
    lines.forEach(function (line, i) {
      var mine = alerts.filter(function (a) { return a.line === i + 1; })
        .sort(function (a, b) { return a.col - b.col; });
      var pos = 0;
      mine.forEach(function (a) {
        var start = a.col - 1, end = Math.max(a.end_col, a.col);
        if (start < pos) return;  // overlapping alerts: the first one is marked, all are listed
        view.appendChild(document.createTextNode(line.slice(pos, start)));
        var m = document.createElement("mark");
        m.className = "violation sev-" + a.severity;
        m.title = a.rule + ": " + a.message;
        m.textContent = line.slice(start, end) || " ";
        view.appendChild(m);
        pos = end;
      });
      view.appendChild(document.createTextNode(line.slice(pos) + (i < lines.length - 1 ? "\n" : "")));
    });
    list.textContent = "";
    alerts.forEach(function (a) {
      var li = document.createElement("li");
      li.className = "sev-" + a.severity;
      li.textContent = a.line + ":" + a.col + "  " + a.severity + "  " + a.message + "  " + a.rule;
      list.appendChild(li);
    });
    var n = { error: 0, warning: 0, suggestion: 0 };
    alerts.forEach(function (a) { n[a.severity] = (n[a.severity] || 0) + 1; });
    summary.textContent = n.error + " error(s), " + n.warning + " warning(s), " + n.suggestion + " suggestion(s)";
  }

  function run() {
    var copy = text.value, mine = ++seq;
    fetch("/api/rulebooks/" + encodeURIComponent(name) + "/check", {
      method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ text: copy, channel: channel.value || null, kind: kind.value })
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      if (mine !== seq) return;  // a newer request is on its way
      if (!res.ok) { summary.textContent = typeof res.body.detail === "string" ? res.body.detail : "invalid input"; return; }
      render(copy, res.body);
    });
  }
  function later() { window.clearTimeout(timer); timer = window.setTimeout(run, 200); }
  text.addEventListener("input", later);
  channel.addEventListener("change", run);
  kind.addEventListener("change", run);
})();
