/* The review board: counters per field against the channel limit, live re-check of edits, copy buttons, an RSA
   headline preview, and submitting the decisions (then following the resumed run's progress). */
(function () {
  "use strict";
  var form = document.getElementById("review-board");
  if (!form) return;
  var runId = form.dataset.run;
  var wide = form.dataset.wide === "yes";
  var seg = window.Intl && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;
  var WIDE = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/;

  function length(text) {  // user-perceived characters; wide (CJK) ones count 2 where the channel says so
    var parts = seg ? Array.from(seg.segment(text), function (s) { return s.segment; }) : Array.from(text);
    return parts.reduce(function (n, p) { return n + (wide && WIDE.test(p) ? 2 : 1); }, 0);
  }

  function count(input) {
    var c = input.closest(".item").querySelector(".counter");
    var max = parseInt(c.dataset.max, 10) || 0;
    var n = length(input.value);
    c.textContent = max ? n + "/" + max : String(n);
    c.classList.toggle("over", max > 0 && n > max);
  }

  function fieldsOf(card) {
    var out = {};
    card.querySelectorAll("input.field").forEach(function (i) {
      (out[i.dataset.field] = out[i.dataset.field] || [])[parseInt(i.dataset.index, 10)] = i.value;
    });
    return out;
  }

  function preview(card) {
    var list = card.querySelector(".combos");
    if (!list) return;
    var f = fieldsOf(card), h = (f.headline || []).filter(Boolean), d = (f.description || []).filter(Boolean);
    list.textContent = "";
    // one combination per headline, rotating, so every headline and description shows at least once
    var n = h.length < 3 ? 0 : h.length;
    for (var i = 0; i < n; i++) {
      var li = document.createElement("li");
      var head = document.createElement("span");
      head.className = "ad-head";
      head.textContent = [h[i], h[(i + 1) % n], h[(i + 2) % n]].join(" | ");
      var desc = document.createElement("span");
      desc.className = "ad-desc";
      desc.textContent = d.length > 1 ? [d[i % d.length], d[(i + 1) % d.length]].join(" ") : d.join(" ");
      li.appendChild(head); li.appendChild(desc); list.appendChild(li);
    }
  }

  var timers = {};
  function recheck(card) {
    var id = card.dataset.id;
    window.clearTimeout(timers[id]);
    timers[id] = window.setTimeout(function () {
      fetch("/api/runs/" + encodeURIComponent(runId) + "/review/check", {
        method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify({ fields: fieldsOf(card) })
      }).then(function (r) { return r.json(); }).then(function (found) {
        var ul = card.querySelector(".rv-violations");
        ul.textContent = "";
        if (!Array.isArray(found)) return;
        if (!found.length) {
          var ok = document.createElement("li"); ok.className = "ok"; ok.textContent = "re-checked: no violations";
          ul.appendChild(ok);
        }
        found.forEach(function (x) {
          var li = document.createElement("li");
          li.className = "sev-" + x.severity;
          li.textContent = "[" + x.severity + "] " + x.rule_id + ": " + x.message;
          ul.appendChild(li);
        });
      });
    }, 250);
  }

  function copy(text, button) {
    var done = function () { button.classList.add("copied"); button.dataset.copied = text; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, done);
    } else { done(); }
  }

  form.querySelectorAll(".rv").forEach(function (card) {
    card.querySelectorAll("input.field").forEach(function (input) {
      count(input);
      input.addEventListener("input", function () {
        count(input);
        preview(card);
        var edited = Array.prototype.some.call(card.querySelectorAll("input.field"),
          function (i) { return i.value !== i.dataset.original; });
        var radio = card.querySelector("input[value=" + (edited ? "edit" : "approve") + "]");
        if (radio && !card.querySelector("input[value=reject]").checked) radio.checked = true;
        recheck(card);
      });
      input.closest(".item").querySelector("button.copy").addEventListener("click", function (e) {
        copy(input.value, e.target);
      });
    });
    card.querySelector("button.copy-all").addEventListener("click", function (e) {
      var lines = Array.prototype.map.call(card.querySelectorAll("input.field"), function (i) { return i.value; });
      copy(lines.join("\n"), e.target);
    });
    preview(card);
  });

  function follow() {
    var list = document.getElementById("review-progress");
    var es = new EventSource("/api/runs/" + encodeURIComponent(runId) + "/events");
    ["queued", "started", "progress"].forEach(function (k) {
      es.addEventListener(k, function (e) {
        var li = document.createElement("li"); li.textContent = JSON.parse(e.data).line || k; list.appendChild(li);
      });
    });
    es.addEventListener("done", function () { es.close(); window.location = "/runs/" + encodeURIComponent(runId); });
    es.addEventListener("failed", function (e) {
      es.close();
      var box = document.getElementById("review-error");
      box.textContent = JSON.parse(e.data).error || "the run failed"; box.hidden = false;
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var decisions = {};
    form.querySelectorAll(".rv").forEach(function (card) {
      var id = card.dataset.id;
      var action = card.querySelector("input[name=action-" + id + "]:checked").value;
      var note = card.querySelector(".note-text").value;
      decisions[id] = action === "edit" ? { action: "edit", fields: fieldsOf(card), note: note }
        : { action: action, note: note };
    });
    var box = document.getElementById("review-error");
    box.hidden = true;
    fetch("/api/runs/" + encodeURIComponent(runId) + "/review", {
      method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ decisions: decisions, reviewer: document.getElementById("reviewer").value })
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      if (!res.ok) { box.textContent = typeof res.body.detail === "string" ? res.body.detail : "invalid decisions"; box.hidden = false; return; }
      document.getElementById("submit-review").disabled = true;
      follow();
    });
  });
})();
