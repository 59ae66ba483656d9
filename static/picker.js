// The facility picker: a text box that suggests facilities as one types (ARIA combobox with a
// listbox), over the plain <select>, which stays in the form and carries the choice. Without this
// file the select works alone. Suggestions come from GET /api/v1/facilities?q= (names, aliases and
// transliterations, in any script); if that fails, the select's own labels are searched.
(function () {
  "use strict";
  var script = document.currentScript;
  var LIMIT = 20;

  function enhance(select) {
    var field = select.closest(".field");
    var label = field.querySelector("label");
    var input = document.createElement("input");
    var list = document.createElement("ul");
    var status = document.createElement("p");
    var items = [], active = -1, timer = null, asked = 0;

    input.type = "text";
    input.id = select.id + "-search";
    input.autocomplete = "off";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", select.id + "-options");
    input.placeholder = script.dataset.placeholder;
    ["aria-invalid", "aria-describedby"].forEach(function (name) {
      if (select.hasAttribute(name)) { input.setAttribute(name, select.getAttribute(name)); }
    });
    var hint = document.getElementById(select.id + "-hint");
    if (hint && !input.hasAttribute("aria-describedby")) { input.setAttribute("aria-describedby", hint.id); }
    list.id = select.id + "-options";
    list.className = "picker-options";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", label.textContent.trim());
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    label.htmlFor = input.id;
    select.hidden = true;
    select.tabIndex = -1;
    field.classList.add("picker");
    select.after(input, list, status);

    function chosenLabel() {
      var option = select.options[select.selectedIndex];
      return option && option.value ? option.text : "";
    }
    input.value = chosenLabel();

    function optionFor(value) {
      return Array.prototype.find.call(select.options, function (o) { return o.value === value; });
    }

    function show(found) {
      // Only what the select offers (the same facilities), then always a way to add a new one.
      items = found.filter(function (item) { return optionFor(item.value); }).slice(0, LIMIT);
      var addNew = optionFor("new");
      if (addNew) { items.push({ value: "new", text: addNew.text }); }
      list.textContent = "";
      items.forEach(function (item, index) {
        var li = document.createElement("li");
        li.id = list.id + "-" + index;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = item.text;
        if (item.place) {
          var place = document.createElement("span");
          place.className = "place";
          place.textContent = " — " + item.place;
          li.appendChild(place);
        }
        li.addEventListener("mousedown", function (event) { event.preventDefault(); });
        li.addEventListener("click", function () { choose(index); });
        list.appendChild(li);
      });
      status.textContent = items.length > (addNew ? 1 : 0) ? "" : script.dataset.empty;
      active = -1;
      input.removeAttribute("aria-activedescendant");
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function move(to) {
      if (list.hidden || !items.length) { return; }
      active = (to + items.length) % items.length;
      Array.prototype.forEach.call(list.children, function (li, index) {
        li.setAttribute("aria-selected", index === active ? "true" : "false");
      });
      var li = list.children[active];
      input.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    }

    function choose(index) {
      var item = items[index];
      select.value = item.value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      input.value = chosenLabel();
      close();
    }

    function local(q) {
      var folded = q.toLocaleLowerCase();
      return Array.prototype.filter.call(select.options, function (o) {
        return o.value && o.value !== "new" && o.text.toLocaleLowerCase().indexOf(folded) !== -1;
      }).map(function (o) { return { value: o.value, text: o.text }; });
    }

    function suggest() {
      var q = input.value.trim();
      if (!q) { show(local("")); return; }
      var ticket = ++asked;
      fetch(script.dataset.source + "?q=" + encodeURIComponent(q),
            { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
        .then(function (data) {
          return data.items.map(function (f) {
            return { value: String(f.id), text: f.name, place: f.region_name || f.country_name };
          });
        })
        .catch(function () { return local(q); })
        .then(function (found) { if (ticket === asked && document.activeElement === input) { show(found); } });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(suggest, 200);
    });
    input.addEventListener("click", function () { if (list.hidden) { suggest(); } });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { suggest(); return; }
        move(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();  // a choice, not the form's submission
        choose(active);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () {
      close();
      // What stays in the box is what will be saved: the chosen facility, never a half-typed name.
      input.value = chosenLabel();
    });
  }

  document.querySelectorAll(".facility-picker select").forEach(enhance);
})();
