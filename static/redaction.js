// The redaction page (templates/evidence/redaction.html): dragging across a frame fills the next
// empty row of "areas the detector missed" with the box in pixels of the original (and, in a video,
// a second either side of the frame's time). Without this script the rows are typed by hand.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function emptyRow() {
    var rows = document.querySelectorAll("[data-added-row]");
    for (var i = 0; i < rows.length; i++) {
      var inputs = rows[i].querySelectorAll("input");
      var empty = true;
      for (var j = 0; j < inputs.length; j++) { if (inputs[j].value.trim()) { empty = false; } }
      if (empty) { return rows[i]; }
    }
    return null;
  }

  function clock(seconds) {
    var whole = Math.max(0, Math.round(seconds));
    var rest = whole % 60;
    return Math.floor(whole / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function point(svg, event) {
    var p = svg.createSVGPoint();
    p.x = event.clientX;
    p.y = event.clientY;
    var inside = p.matrixTransform(svg.getScreenCTM().inverse());
    var width = Number(svg.dataset.frameWidth), height = Number(svg.dataset.frameHeight);
    return {x: Math.min(width, Math.max(0, inside.x)), y: Math.min(height, Math.max(0, inside.y))};
  }

  function fill(row, box, time) {
    var values = {x: box.x, y: box.y, w: box.w, h: box.h};
    if (time !== null) { values.start = clock(time - 1); values.end = clock(time + 1); }
    row.querySelectorAll("input").forEach(function (input) {
      if (input.dataset.key in values) { input.value = values[input.dataset.key]; }
    });
  }

  function attach(svg) {
    var start = null, drawn = null;
    svg.addEventListener("pointerdown", function (event) {
      if (!emptyRow()) { return; }
      start = point(svg, event);
      drawn = document.createElementNS(SVG, "rect");
      drawn.setAttribute("class", "added");
      svg.appendChild(drawn);
      svg.setPointerCapture(event.pointerId);
      event.preventDefault();
    });
    svg.addEventListener("pointermove", function (event) {
      if (!start) { return; }
      var now = point(svg, event);
      drawn.setAttribute("x", Math.min(start.x, now.x));
      drawn.setAttribute("y", Math.min(start.y, now.y));
      drawn.setAttribute("width", Math.abs(now.x - start.x));
      drawn.setAttribute("height", Math.abs(now.y - start.y));
    });
    svg.addEventListener("pointerup", function (event) {
      if (!start) { return; }
      var now = point(svg, event);
      var box = {x: Math.floor(Math.min(start.x, now.x)), y: Math.floor(Math.min(start.y, now.y)),
                 w: Math.ceil(Math.abs(now.x - start.x)), h: Math.ceil(Math.abs(now.y - start.y))};
      start = null;
      var row = emptyRow();
      if (box.w < 4 || box.h < 4 || !row) { drawn.remove(); return; }
      fill(row, box, svg.dataset.time === undefined ? null : Number(svg.dataset.time));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var frames = document.querySelectorAll(".redaction-frame svg");
    if (!frames.length || !document.querySelector("[data-added-row]")) { return; }
    frames.forEach(attach);
    var hint = document.querySelector("[data-draw-hint]");
    if (hint) { hint.hidden = false; }
  });
}());
