/* brandloop web UI: form mode toggle and live progress over server-sent events. No build step. */
(function () {
  "use strict";
  function toggleMode() {
    var form = document.getElementById("submit-form");
    if (!form) return;
    var checked = form.querySelector("input[name=mode]:checked");
    form.classList.toggle("upload", !!checked && checked.value === "upload");
  }
  document.addEventListener("change", function (e) {
    if (e.target && e.target.name === "mode") toggleMode();
  });
  document.addEventListener("DOMContentLoaded", toggleMode);

  function follow(list) {
    if (!list || list.dataset.live !== "yes" || !window.EventSource) return;
    var runId = list.dataset.run;
    var status = document.getElementById("run-status");
    var errorBox = document.getElementById("run-error");
    var es = new EventSource("/api/runs/" + encodeURIComponent(runId) + "/events");
    var cleared = false;
    function add(kind, data) {
      if (!cleared) { list.innerHTML = ""; cleared = true; }  // the stream replays everything from the start
      var li = document.createElement("li");
      li.className = "ev-" + kind;
      li.textContent = data.line || kind;
      list.appendChild(li);
    }
    var now = document.getElementById("llm-now"), ticking = null;
    es.addEventListener("llm", function (e) {  // one LLM batch: started (with an estimate), then finished
      var data = JSON.parse(e.data);
      add("llm", data);
      if (!now) return;
      window.clearInterval(ticking);
      if (data.phase !== "started") { now.hidden = true; return; }
      var t0 = Date.now() - 1000 * (data.elapsed_s || 0);
      function draw() {
        var s = Math.round((Date.now() - t0) / 1000);
        now.textContent = "[" + data.node + "] " + data.prompts + " prompt(s) generating: " + s + " s" +
          (data.estimate_s != null ? " of about " + Math.max(1, Math.round(data.estimate_s)) + " s" : "");
      }
      draw(); now.hidden = false; ticking = window.setInterval(draw, 1000);
    });
    var cancel = document.getElementById("cancel-run");
    if (cancel) cancel.addEventListener("click", function () {
      cancel.disabled = true; cancel.textContent = "Cancelling…";
      fetch("/api/runs/" + encodeURIComponent(runId) + "/cancel", { method: "POST", headers: { "Accept": "application/json" } });
    });
    ["queued", "started", "progress"].forEach(function (kind) {
      es.addEventListener(kind, function (e) {
        var data = JSON.parse(e.data);
        add(kind, data);
        if (kind !== "queued" && status) { status.textContent = "running"; status.className = "badge st-running"; }
      });
    });
    es.addEventListener("done", function (e) {
      add("done", JSON.parse(e.data));
      es.close();
      window.clearInterval(ticking);
      if (status) { status.textContent = "completed"; status.className = "badge st-completed"; }
      window.setTimeout(function () { window.location.reload(); }, 300);
    });
    es.addEventListener("failed", function (e) {
      var data = JSON.parse(e.data);
      add("failed", data);
      es.close();
      window.clearInterval(ticking);
      if (now) now.hidden = true;
      if (cancel) cancel.hidden = true;
      if (status) { status.textContent = data.status || "error"; status.className = "badge st-" + (data.status || "error"); }
      if (errorBox) { errorBox.textContent = data.error || "the run failed"; errorBox.hidden = false; }
    });
  }
  window.brandloop = { follow: follow };
})();
