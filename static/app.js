// Progressive enhancement only: every form works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // A form sent back with errors: the first one gets the focus, so a keyboard or screen reader user
  // lands on what to mend (a message that belongs to no single field is focused itself).
  var firstError = document.querySelector("form .has-error, form p.error[id$='-error']");
  if (firstError) {
    var fields = Array.prototype.filter.call(firstError.querySelectorAll("input, select, textarea"),
      function (field) { return field.offsetParent !== null; });
    var target = fields[0] || firstError;
    if (target === firstError) { target.tabIndex = -1; }
    target.focus();
  }

  // On a narrow screen the results come first: a panel that may fold (the filters) starts folded.
  if (window.matchMedia("(max-width: 50rem)").matches) {
    document.querySelectorAll("details[data-collapse-narrow]").forEach(function (panel) { panel.open = false; });
  }

  // The "new facility" fields matter only when "a facility not in the list" is chosen.
  document.querySelectorAll("[data-show-when]").forEach(function (block) {
    var rule = block.getAttribute("data-show-when").split("=");
    var select = document.querySelector("[name='" + rule[0] + "']");
    if (!select) { return; }
    var sync = function () { block.hidden = select.value !== rule[1]; };
    select.addEventListener("change", sync);
    sync();
  });

  // A row's translations are asked for in the languages other than the account's original: when the
  // original changes, so do they (a box already holding text stays, for its author to move).
  // Also at load: a browser or a restored draft (drafts.js) may have filled the boxes or the choice.
  var original = document.querySelector("select[name='original_language']");
  if (original) {
    var syncTranslations = function () {
      document.querySelectorAll("[data-translation]").forEach(function (box) {
        var input = box.querySelector("input, textarea");
        var holds = Boolean(input && input.value);
        box.hidden = box.getAttribute("data-translation") === original.value && !holds;
        if (holds) { box.closest("details").open = true; }
      });
    };
    original.addEventListener("change", syncTranslations);
    syncTranslations();
  }

  // Region lists follow the chosen country.
  document.querySelectorAll(".field.country select").forEach(function (country) {
    var container = country.closest("fieldset, form");
    var region = container && container.querySelector(".field.region select");
    if (!region) { return; }
    country.addEventListener("change", function () {
      var url = "/regions?country=" + encodeURIComponent(country.value);
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { items: [] }; })
        .then(function (data) {
          var first = region.options[0];
          region.innerHTML = "";
          region.appendChild(first);
          data.items.forEach(function (item) {
            var option = document.createElement("option");
            option.value = item.code;
            option.textContent = item.name;
            region.appendChild(option);
          });
        });
    });
  });

  // Graphic evidence stays blurred, its player unusable, until the viewer asks to see it.
  document.querySelectorAll(".graphic-cover").forEach(function (cover) {
    var player = cover.querySelector("video, audio");
    if (player) { player.controls = false; }
    var button = cover.querySelector("[data-reveal]");
    if (!button) { return; }
    button.addEventListener("click", function () {
      cover.classList.add("revealed");
      cover.querySelectorAll("[data-src]").forEach(function (media) {
        media.setAttribute("src", media.getAttribute("data-src"));
      });
      if (player) { player.controls = true; }
    });
  });

  // "Add another" copies the last row with its fields emptied and renumbered.
  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    var rows = document.querySelector("[data-rows='" + button.getAttribute("data-add-row") + "']");
    if (!rows) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var all = rows.querySelectorAll("[data-row]");
      var last = all[all.length - 1];
      var copy = last.cloneNode(true);
      var index = all.length;
      copy.querySelectorAll("[name], [id], [for]").forEach(function (el) {
        ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) { el.setAttribute(attr, value.replace(/-\d+-/, "-" + index + "-")); }
        });
        if (el.tagName === "SELECT") { el.selectedIndex = 0; }
        else if (el.type !== "checkbox" && el.value !== undefined && el.tagName !== "LABEL") { el.value = ""; }
      });
      copy.querySelectorAll(".error").forEach(function (el) { el.remove(); });
      copy.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
      rows.appendChild(copy);
      var focus = copy.querySelector("input:not([type=hidden]), select");
      if (focus) { focus.focus(); }
    });
  });
});
