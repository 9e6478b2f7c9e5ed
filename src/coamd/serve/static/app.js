// The coamd page: forms for the four tasks over the JSON API (/api/v1), the result in the bundled 3D viewer.
(function () {
  "use strict";
  var API = "/api/v1";
  var $ = function (id) { return document.getElementById(id); };
  var info = null, current = null, editSeconds = 0, keepRanges = [];

  // ---------------------------------------------------------------- helpers
  function api(path, opts) {
    return fetch(API + path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) throw new Error(body.error || ("HTTP " + r.status));
        return body;
      });
    });
  }
  function showError(msg) { var e = $("error"); e.textContent = msg; e.hidden = !msg; }
  function busy(button, on) { $(button).disabled = on; }
  function num(id) { var v = $(id).value.trim(); return v === "" ? null : Number(v); }
  function checkedValue(name) { return document.querySelector("input[name=" + name + "]:checked").value; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // ---------------------------------------------------------------- tabs, readiness
  document.querySelectorAll("#tabs button").forEach(function (b) {
    b.addEventListener("click", function () {
      document.querySelectorAll("#tabs button").forEach(function (x) { x.classList.toggle("on", x === b); });
      document.querySelectorAll(".tab").forEach(function (t) { t.hidden = t.id !== "tab-" + b.dataset.tab; });
      showError("");
    });
  });

  function waitReady() {
    fetch(API + "/ready").then(function (r) {
      if (r.status === 200) return api("/info").then(ready);
      return r.json().then(function (b) {
        if (b.error && b.error.indexOf("failed") >= 0) { $("ready").className = "pill bad"; $("ready").textContent = b.error; return; }
        setTimeout(waitReady, 500);
      });
    }).catch(function () { setTimeout(waitReady, 1000); });
  }
  function ready(i) {
    info = i;
    $("ready").className = "pill ok";
    $("ready").textContent = "ready \u00b7 " + (i.bundle || "model") + " on " + i.device;
    $("rec-labels").placeholder = i.labels.join(", ");
    var parts = $("edit-parts");
    i.body_parts.forEach(function (p) {
      var l = el("label"), c = el("input");
      c.type = "checkbox"; c.value = p; c.className = "part";
      l.appendChild(c); l.appendChild(document.createTextNode(" " + p.replace("_", " ")));
      parts.appendChild(l);
    });
    if (!i.corpus) $("search-gallery").querySelector("option[value=corpus]").disabled = true;
    ["decode_steps", "cfg_scale", "ode_steps", "guidance"].forEach(function (k) {
      if (i.defaults[k] !== undefined) $(k).placeholder = String(i.defaults[k]);
    });
  }

  // ---------------------------------------------------------------- jobs and the result panel
  function track(job, title) {
    $("result-title").textContent = title;
    $("status").textContent = job.status;
    $("viewer").hidden = true;
    $("downloads").innerHTML = "";
    var bar = $("progress");
    bar.hidden = false;
    return new Promise(function (resolve, reject) {
      function poll() {
        api("/results/" + job.id).then(function (j) {
          bar.max = j.progress.total; bar.value = j.progress.done;
          $("status").textContent = j.status === "running" ? "running " + j.progress.done + "/" + j.progress.total
            : j.status;
          if (j.status === "done") { bar.hidden = true; show(j, title); resolve(j); }
          else if (j.status === "failed") { bar.hidden = true; reject(new Error(j.error)); }
          else setTimeout(poll, 250);
        }).catch(reject);
      }
      poll();
    });
  }

  function show(job, title) {
    current = job;
    $("result-title").textContent = title;
    if (job.urls["viewer.html"]) {
      var v = $("viewer");
      v.onload = function () { fitViewer(v); };
      v.hidden = false;
      v.src = job.urls["viewer.html"];
    }
    var box = $("downloads");
    box.innerHTML = "";
    job.files.filter(function (f) { return f !== "viewer.html"; }).forEach(function (f) {
      var a = el("a", "dl", "\u2913 " + f);
      a.href = job.urls[f]; a.download = f; a.dataset.file = f;
      box.appendChild(a);
    });
    var rep = job.info.report || {};
    $("report").textContent = Object.keys(rep).filter(function (k) { return /_cm$/.test(k); })
      .map(function (k) { return k.replace(/_/g, " ") + ": " + rep[k]; }).join(" \u00b7 ");
    var sel = $("edit-sample");
    sel.innerHTML = "";
    (job.info.samples || []).forEach(function (s, i) {
      var o = el("option", "", s.name + " (" + s.seconds + " s)");
      o.value = String(i); o.dataset.seconds = s.seconds;
      sel.appendChild(o);
    });
    editSourceChanged();
  }

  // The viewer sizes its panels to its window: give it no scrollbar and grow the frame to its content.
  function fitViewer(v) {
    var d = v.contentDocument;
    if (!d || !d.documentElement) return;
    d.documentElement.style.overflow = "hidden";
    v.contentWindow.dispatchEvent(new Event("resize"));
    setTimeout(function () { v.style.height = Math.max(360, d.documentElement.scrollHeight + 2) + "px"; }, 60);
  }

  function run(button, promise) {
    showError("");
    busy(button, true);
    return promise.catch(function (e) { showError(e.message); }).then(function () { busy(button, false); });
  }

  // ---------------------------------------------------------------- generate
  $("generate").addEventListener("click", function () {
    var texts = $("prompt").value.split("\n").map(function (t) { return t.trim(); }).filter(Boolean);
    if (!texts.length) { showError("texts: describe the motion first"); return; }
    var len = $("length").value.trim().toLowerCase();
    var body = { texts: texts, lengths: len === "" || len === "auto" ? "auto" : Number(len),
                 samples: num("samples") || 1, seed: num("seed") || 0, cleanup: $("cleanup").checked,
                 formats: ["npy", "bvh", "html"] };
    if ($("fmt-gif").checked) body.formats.push("gif");
    if ($("fmt-mp4").checked) body.formats.push("mp4");
    ["decode_steps", "cfg_scale", "ode_steps", "guidance"].forEach(function (k) { if (num(k) !== null) body[k] = num(k); });
    if ($("sampler").value) body.sampler = $("sampler").value;
    var route = $("sequence").checked && texts.length > 1 ? "/sequence" : "/generate";
    run("generate", api(route, { method: "POST", headers: { "content-type": "application/json" },
                                 body: JSON.stringify(body) })
      .then(function (job) { return track(job, texts.join(" / ")); }));
  });

  // ---------------------------------------------------------------- edit: source, timeline, body parts
  function editSourceChanged() {
    if (checkedValue("edit-src") === "result") {
      var o = $("edit-sample").selectedOptions[0];
      setDuration(o ? Number(o.dataset.seconds) : 0);
    } else if ($("edit-file").files.length) {
      var fd = new FormData();
      fd.append("file", $("edit-file").files[0]);
      api("/inspect", { method: "POST", body: fd }).then(function (m) { setDuration(m.seconds); showError(""); })
        .catch(function (e) { setDuration(0); showError(e.message); });
    } else setDuration(0);
  }
  function setDuration(s) {
    editSeconds = s;
    keepRanges = [];
    $("edit-duration").textContent = s ? "source: " + s.toFixed(2) + " s" : "";
    drawTimeline();
  }
  function sliderSeconds(id) { return Math.round(editSeconds * Number($(id).value)) / 100; }
  function drawTimeline() {
    var box = $("timeline-ranges");
    box.innerHTML = "";
    var cur = [Math.min(sliderSeconds("range-from"), sliderSeconds("range-to")),
               Math.max(sliderSeconds("range-from"), sliderSeconds("range-to"))];
    keepRanges.forEach(function (r) {
      var d = el("div");
      d.style.left = (100 * r[0] / editSeconds) + "%"; d.style.width = (100 * (r[1] - r[0]) / editSeconds) + "%";
      box.appendChild(d);
    });
    if (editSeconds) {
      var c = el("div", "cursor");
      c.style.left = (100 * cur[0] / editSeconds) + "%"; c.style.width = (100 * (cur[1] - cur[0]) / editSeconds) + "%";
      box.appendChild(c);
    }
    $("range-label").textContent = cur[0].toFixed(2) + "\u2013" + cur[1].toFixed(2) + " s";
  }
  ["range-from", "range-to"].forEach(function (id) { $(id).addEventListener("input", drawTimeline); });
  $("range-add").addEventListener("click", function () {
    var a = Math.min(sliderSeconds("range-from"), sliderSeconds("range-to"));
    var b = Math.max(sliderSeconds("range-from"), sliderSeconds("range-to"));
    if (b > a) keepRanges.push([a, b]);
    drawTimeline();
  });
  $("range-clear").addEventListener("click", function () { keepRanges = []; drawTimeline(); });
  document.querySelectorAll("input[name=edit-src]").forEach(function (r) { r.addEventListener("change", editSourceChanged); });
  $("edit-sample").addEventListener("change", editSourceChanged);
  $("edit-file").addEventListener("change", function () {
    document.querySelector("input[name=edit-src][value=file]").checked = true;
    editSourceChanged();
  });

  $("edit-run").addEventListener("click", function () {
    var fd = new FormData(), text = $("edit-text").value.trim();
    fd.append("text", text);
    if (checkedValue("edit-src") === "result") {
      if (!current) { showError("source: generate a motion first, or choose a file"); return; }
      fd.append("source_id", current.id);
      fd.append("source_sample", $("edit-sample").value || "0");
    } else {
      if (!$("edit-file").files.length) { showError("file: choose a motion file to edit"); return; }
      fd.append("file", $("edit-file").files[0]);
    }
    if ($("edit-task").value) fd.append("task", $("edit-task").value);
    else if (keepRanges.length) fd.append("keep", keepRanges.map(function (r) { return r[0] + ":" + r[1]; }).join(","));
    var parts = Array.prototype.map.call(document.querySelectorAll("input.part:checked"), function (c) { return c.value; });
    if (parts.length) fd.append("joints", parts.join(","));
    fd.append("seed", String(num("seed") || 0));
    run("edit-run", api("/edit", { method: "POST", body: fd })
      .then(function (job) { return track(job, "edit: " + text); }));
  });

  // ---------------------------------------------------------------- recognise and search: ranked bars
  function bars(rows, label, score) {
    var g = el("div", "bars"), top = Math.max.apply(null, rows.map(score).concat([1e-9]));
    rows.forEach(function (r) {
      g.appendChild(el("span", "lab", label(r)));
      var t = el("div", "track"), f = el("div", "fill");
      f.style.width = Math.max(2, 100 * Math.max(0, score(r)) / top) + "%";
      t.appendChild(f); g.appendChild(t);
      g.appendChild(el("span", "", score(r).toFixed(3)));
    });
    return g;
  }

  $("rec-run").addEventListener("click", function () {
    var fd = new FormData();
    Array.prototype.forEach.call($("rec-files").files, function (f) { fd.append("files", f); });
    if ($("rec-result").checked && current) fd.append("source_id", current.id);
    if ($("rec-labels").value.trim()) fd.append("labels", $("rec-labels").value);
    fd.append("top_k", String(num("rec-topk") || 5));
    var out = $("rec-out");
    out.innerHTML = "";
    run("rec-run", api("/recognize", { method: "POST", body: fd }).then(function (res) {
      res.results.forEach(function (r) {
        out.appendChild(el("div", "file", r.file + " \u00b7 " + (r.frames / 20).toFixed(1) + " s"));
        out.appendChild(bars(r.predictions, function (p) { return p.label; }, function (p) { return p.prob; }));
      });
    }));
  });

  document.querySelectorAll("input[name=search-mode]").forEach(function (r) {
    r.addEventListener("change", function () {
      var text = checkedValue("search-mode") === "text";
      $("search-text-box").hidden = !text; $("search-motion-box").hidden = text;
    });
  });
  $("search-run").addEventListener("click", function () {
    var fd = new FormData();
    if (checkedValue("search-mode") === "text") {
      fd.append("text", $("search-text").value);
      fd.append("gallery", $("search-gallery").value);
      Array.prototype.forEach.call($("search-files").files, function (f) { fd.append("files", f); });
    } else {
      if (checkedValue("search-src") === "file") {
        if ($("search-file").files.length) fd.append("files", $("search-file").files[0]);
      } else if (current) fd.append("source_id", current.id);
      fd.append("texts", $("search-texts").value);
    }
    fd.append("top_k", String(num("search-topk") || 5));
    var out = $("search-out");
    out.innerHTML = "";
    run("search-run", api("/retrieve", { method: "POST", body: fd }).then(function (res) {
      out.appendChild(el("div", "file", res.mode + " \u00b7 " + res.gallery));
      out.appendChild(bars(res.results, function (h) { return h.text || h.name + (h.caption ? " (" + h.caption + ")" : ""); },
                           function (h) { return h.score; }));
    }));
  });

  drawTimeline();
  waitReady();
})();
