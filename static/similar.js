// Likely duplicates while an incident is entered (templates/records/_similar_form.html): as the
// facility, dates, titles, narratives or pseudonyms change, the form's fields (with its CSRF
// token) go to POST /incidents/similar, at most once per pause in typing; the answer lists the
// incidents this person may read that may be the same event. Without this file nothing is asked
// here, and the incident's page lists them after saving.
(function () {
  "use strict";
  var panel = document.getElementById("similar-panel");
  if (!panel) { return; }
  var form = panel.closest("form");
  var list = panel.querySelector("ul.likely");
  var WATCHED = /^(facility|new_facility-name|date_start|date_end|date_precision|title_\w+|narrative_\w+|persons-\d+-pseudonym)$/;
  var timer = null, asked = 0;

  function show(items) {
    list.replaceChildren();
    items.forEach(function (item) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = item.url;
      link.target = "_blank";  // the form stays as typed
      link.rel = "noopener";
      var ref = document.createElement("span");
      ref.className = "ref";
      ref.textContent = item.reference;
      link.append(ref, " ", item.title);
      var why = document.createElement("span");
      why.className = "reasons";
      why.textContent = " " + panel.dataset.likeness.replace("{score}", Math.round(item.score * 100) + "%") + ": " +
        item.reasons.map(function (reason) { return reason.label; }).join(", ");
      li.append(link, why);
      list.append(li);
    });
    panel.hidden = items.length === 0;
  }

  function ask() {
    var body = new FormData(form);
    body.set("incident", panel.dataset.incident);
    var mine = ++asked;
    fetch(panel.dataset.url, {method: "POST", body: body, credentials: "same-origin",
                              headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : {items: []}; })
      .then(function (answer) { if (mine === asked) { show(answer.items || []); } })
      .catch(function () { /* offline or signed out: the page after saving still lists them */ });
  }

  function changed(event) {
    if (!event.target.name || !WATCHED.test(event.target.name)) { return; }
    clearTimeout(timer);
    timer = setTimeout(ask, 600);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  if (panel.dataset.incident) { ask(); }
})();
