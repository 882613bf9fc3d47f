
(function () {
  var box = document.getElementById("job");
  if (!box) { return; }
  var statusUrl = box.getAttribute("data-status-url");
  var goToMaterial = box.getAttribute("data-go") === "material";
  var labels = {waiting: "waiting", running: "in progress", done: "done", skipped: "skipped"};
  function text(id, value) { var el = document.getElementById(id); if (el) { el.textContent = value; } }
  function render(job) {
    var list = document.getElementById("job-steps");
    if (list) {
      list.textContent = "";
      job.steps.forEach(function (step) {
        var li = document.createElement("li");
        var strong = document.createElement("span");
        strong.className = "state";
        strong.textContent = "[" + (labels[step.state] || step.state) + "] ";
        li.appendChild(strong);
        li.appendChild(document.createTextNode(step.label + (step.note ? " (" + step.note + ")" : "")));
        list.appendChild(li);
      });
    }
    text("job-state", job.message || ({queued: "Waiting for the model to be free.",
      running: "Working: " + job.done_steps + " of " + job.total_steps + " steps done.",
      done: "Done.", failed: "Failed.", cancelled: "Stopped."})[job.state] || job.state);
    text("job-partial", job.partial || "");
    var bar = document.getElementById("job-progress");
    if (bar) { bar.value = job.done_steps; bar.max = job.total_steps || 1; }
  }
  function poll() {
    fetch(statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (job) {
        render(job);
        if (job.state === "done" && goToMaterial && job.material_id) {
          window.location.assign("{{ prefix }}/materials/" + job.material_id);
          return;
        }
        if (["done", "failed", "cancelled"].indexOf(job.state) < 0) { window.setTimeout(poll, 1500); }
        else { var stop = document.getElementById("job-cancel"); if (stop) { stop.hidden = true; } }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
