// Files sent ahead from the incident form, over the resumable uploads API (tus 1.0): several at once,
// each with its progress, in parts; after a cut connection each goes on from the bytes that arrived,
// and an upload stopped by a closed page goes on when the same file is chosen again. Saving the form
// attaches them (templates/records/_files.html lists them as "uploads").
(function () {
  "use strict";
  var PART = 8 * 1024 * 1024;
  var HEAD = 64 * 1024;  // a stopped upload goes on only with a file whose first bytes are the same
  var WAITS = [1, 2, 4, 8, 15, 30];  // seconds before each try after a failure, then every 30 s

  var box = document.querySelector("[data-uploads]");
  if (!box || !window.XMLHttpRequest || !window.File || !Blob.prototype.slice) { return; }
  var form = box.closest("form");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var list = box.querySelector("[data-upload-list]");
  var template = document.querySelector("[data-upload-template]");
  var wait = box.querySelector("[data-upload-wait]");
  var maxSize = Number(box.dataset.maxSize) || Infinity;
  var lang = document.documentElement.lang || "en";
  var KINDS = JSON.parse(box.dataset.kinds);  // what a file's type makes plain (uploads/service.py)

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) { return values[name]; });
  }

  // Sizes as the server writes them (incidents/i18n.py format_size): its units, in the page's language.
  var UNITS = JSON.parse(box.dataset.sizeUnits);
  function sizeText(bytes) {
    for (var i = 0; i < UNITS.length; i++) {
      // Rounded up to the next unit's 1, it is written in that unit, as the server does.
      if (bytes >= UNITS[i][0] || (bytes >= 1000 && Math.round(bytes / UNITS[i][0] * 10) / 10 >= 1) ||
          i === UNITS.length - 1) {
        var digits = UNITS[i][0] === 1 ? 0 : 1;
        var rounded = Math.round(bytes / UNITS[i][0] * 10) / 10;
        return UNITS[i][1].replace("{n}", new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(rounded));
      }
    }
    return String(bytes);
  }

  // The SHA-256 of a file's first 64 KiB, in hexadecimal; "" where the browser has no WebCrypto
  // (a page not served over HTTPS), and then a stopped upload is never taken up again by guess.
  function headOf(file) {
    if (!window.crypto || !window.crypto.subtle) { return Promise.resolve(""); }
    return file.slice(0, HEAD).arrayBuffer().then(function (bytes) {
      return window.crypto.subtle.digest("SHA-256", bytes);
    }).then(function (digest) {
      return Array.from(new Uint8Array(digest), function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    }).catch(function () { return ""; });
  }

  function encode(text) {
    var bytes = new TextEncoder().encode(text), binary = "";
    bytes.forEach(function (b) { binary += String.fromCharCode(b); });
    return btoa(binary);
  }

  // One request of the protocol; resolves with the XMLHttpRequest, rejects only when nothing came back.
  function request(method, url, headers, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("Tus-Resumable", "1.0.0");
      xhr.setRequestHeader("X-CSRFToken", csrf);
      Object.keys(headers).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
      if (onProgress) { xhr.upload.onprogress = function (event) { onProgress(event.loaded); }; }
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () { reject(xhr); };
      xhr.send(body || null);
    });
  }

  function Row(element) {
    this.el = element;
    this.token = element.dataset.upload;
    this.url = box.dataset.uploads + "/" + this.token;
    this.length = Number(element.dataset.length);
    this.offset = Number(element.dataset.offset);
    this.state = this.offset === this.length ? "done" : "stopped";
    this.file = null;
    this.tries = 0;
    var row = this;
    element.querySelector("[data-upload-remove]").addEventListener("click", function () { row.remove(); });
  }

  Row.prototype.show = function (text, done) {
    var percent = Math.floor(100 * this.offset / this.length);
    this.el.querySelector("progress").value = done ? 100 : percent;
    this.el.querySelector("[data-upload-state]").textContent = text;
  };

  Row.prototype.sending = function () { return this.state === "sending" || this.state === "waiting"; };

  Row.prototype.send = function () {
    var row = this;
    if (row.removed) { return; }
    if (row.offset >= row.length) { row.finish(); return; }
    row.state = "sending";
    var end = Math.min(row.offset + PART, row.length);
    var start = row.offset;
    row.show(say(box.dataset.textSending, { percent: Math.floor(100 * start / row.length) }));
    request("PATCH", row.url, { "Upload-Offset": String(start), "Content-Type": "application/offset+octet-stream" },
            row.file.slice(start, end), function (loaded) {
              row.show(say(box.dataset.textSending, { percent: Math.floor(100 * (start + loaded) / row.length) }));
            })
      .then(function (xhr) {
        if (xhr.status === 204) {
          row.offset = Number(xhr.getResponseHeader("Upload-Offset"));
          row.tries = 0;
          row.send();
        } else { row.refused(xhr); }
      }, function () { row.retry(); });
  };

  // Asks the server how much arrived, then goes on from there.
  Row.prototype.resume = function () {
    var row = this;
    if (row.removed) { return; }
    request("HEAD", row.url, {}).then(function (xhr) {
      if (xhr.status === 200) {
        row.offset = Number(xhr.getResponseHeader("Upload-Offset"));
        row.send();
      } else { row.refused(xhr); }
    }, function () { row.retry(); });
  };

  Row.prototype.retry = function () {
    var row = this;
    if (row.removed) { return; }
    row.state = "waiting";
    if (!navigator.onLine) {
      row.show(box.dataset.textOffline);
      window.addEventListener("online", function () { row.resume(); }, { once: true });
      return;
    }
    var seconds = WAITS[Math.min(row.tries, WAITS.length - 1)];
    row.tries += 1;
    row.show(say(box.dataset.textRetry, { seconds: seconds }));
    setTimeout(function () { row.resume(); }, seconds * 1000);
  };

  Row.prototype.refused = function (xhr) {
    if (xhr.status === 409 || xhr.status === 423 || xhr.status >= 500) { this.retry(); return; }
    this.state = "failed";
    if (xhr.status === 404) { this.show(box.dataset.textGone); return; }
    if (xhr.status === 401 || xhr.status === 403) { this.show(box.dataset.textSignedOut); return; }
    var reason = "";
    try { reason = JSON.parse(xhr.responseText).error.message; } catch (e) { reason = String(xhr.status); }
    this.show(say(box.dataset.textFailed, { reason: reason }));
  };

  Row.prototype.finish = function () {
    this.state = "done";
    this.show(box.dataset.textDone, true);
    if (!sendingAny()) { wait.hidden = true; }
  };

  Row.prototype.remove = function () {
    this.removed = true;
    request("DELETE", this.url, {}).catch(function () { /* it expires on its own */ });
    this.el.remove();
    rows.splice(rows.indexOf(this), 1);
    if (!sendingAny()) { wait.hidden = true; }
  };

  var rows = [];
  Array.prototype.forEach.call(list.querySelectorAll("[data-upload]"), function (element) {
    rows.push(new Row(element));
  });

  function sendingAny() { return rows.some(function (row) { return row.sending(); }); }

  // A kind the file's type makes plain, unless one was chosen already; the person may change it.
  function guessKind(element, file) {
    var select = element.querySelector("[data-upload-kind]");
    var kind = KINDS[(file.type || "").split("/")[0]];
    if (kind && !select.value) { select.value = kind; }
  }

  // A file's row takes the place kept for it when it was chosen: rows stay in the order chosen,
  // whichever upload the server begins first.
  function newRow(file, token, slot) {
    var holder = document.createElement("ul");
    // The placeholder is in ids, names and "for": one replacement sets them all (the token is the
    // server's, letters, digits, "-" and "_" only).
    holder.innerHTML = template.innerHTML.split("__TOKEN__").join(token);
    var element = holder.firstElementChild;
    element.dataset.name = file.name;
    element.dataset.length = String(file.size);
    element.dataset.offset = "0";
    element.querySelector("[data-upload-name]").textContent = file.name;
    element.querySelector("[data-upload-size]").textContent = sizeText(file.size);
    guessKind(element, file);
    slot.replaceWith(element);
    var row = new Row(element);
    rows.push(row);
    return row;
  }

  function begin(file, slot, head) {
    var metadata = "filename " + encode(file.name) + ",form " + encode(box.dataset.formKey) + ",head " + encode(head);
    return request("POST", box.dataset.uploads, { "Upload-Length": String(file.size), "Upload-Metadata": metadata })
      .then(function (xhr) {
        if (xhr.status !== 201) { return Promise.reject(xhr); }
        var token = xhr.getResponseHeader("Location").split("/").pop();
        var row = newRow(file, token, slot);
        row.file = file;
        row.send();
      });
  }

  function note(text, slot) {
    var element = slot || list.appendChild(document.createElement("li"));
    element.className = "flash error";
    element.setAttribute("role", "alert");
    element.textContent = text;
  }

  function notSent(file, xhr, slot) {
    var reason = "";
    try { reason = JSON.parse(xhr.responseText).error.message; } catch (e) { reason = xhr.status ? String(xhr.status) : ""; }
    note(file.name + ": " + say(box.dataset.textFailed, { reason: reason }), slot);
  }

  function choose(files) {
    Array.prototype.forEach.call(files, function (file) {
      var listed = rows.filter(function (row) {
        return row.state !== "stopped" && row.el.dataset.name === file.name && row.length === file.size;
      })[0];
      if (listed) {  // the same file twice would be two items of one file: say so instead
        note(file.name + ": " + box.dataset.textListed);
        listed.el.querySelector("[data-upload-name]").scrollIntoView({ block: "center" });
        return;
      }
      if (file.size > maxSize) {
        note(file.name + ": " + say(box.dataset.textTooLarge, { size: sizeText(maxSize) }));
        return;
      }
      var slot = list.appendChild(document.createElement("li"));
      headOf(file).then(function (head) {
        // The same file as an upload stopped earlier (a closed page, a crash): go on from where it
        // stopped. Same name and size are not enough: the first bytes must be the same too.
        var earlier = head && rows.filter(function (row) {
          return row.state === "stopped" && !row.file && row.el.dataset.head === head && row.length === file.size;
        })[0];
        if (earlier) {
          slot.remove();
          earlier.file = file;
          guessKind(earlier.el, file);
          earlier.show(say(box.dataset.textResumed, { percent: Math.floor(100 * earlier.offset / earlier.length) }));
          earlier.resume();
        } else {
          begin(file, slot, head).catch(function (xhr) { notSent(file, xhr, slot); });
        }
      });
    });
  }

  var picker = box.querySelector("[data-upload-picker]");
  var input = picker.querySelector("input[type=file]");
  picker.hidden = false;
  input.addEventListener("change", function () {
    choose(input.files);
    input.value = "";  // choosing the same file again, after a cut, must fire again
  });

  form.addEventListener("submit", function (event) {
    if (!sendingAny()) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    wait.className = "flash error";  // only now: hidden, it is no error of the page
    wait.hidden = false;
    wait.focus();
  }, true);

  window.addEventListener("beforeunload", function (event) {
    if (sendingAny()) { event.preventDefault(); event.returnValue = ""; }
  });
}());
