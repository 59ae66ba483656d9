// Nothing typed is lost (issue 14): the incident form is autosaved as the person types, on the
// server (their own draft, sealed, /incidents/new/draft or /incidents/ID/draft) and, encrypted
// with AES-GCM under a key only they are given, in this browser for when the server cannot be
// reached (an ended session, a dropped connection). It is offered back after a crash or a closed
// tab, put back at once after a language switch or after signing in again, and gone once saved
// or discarded. Leaving with unsaved changes asks first. On every page, signing out clears the
// browser's copies. Without this file the form works as before, with no autosave.
(function () {
  "use strict";
  var PREFIX = "incident-draft:";
  var RESTORE = "incident-draft-restore"; // sessionStorage: put the work back on the next load
  var LOCAL_DELAY = 400, SERVER_DELAY = 2000, FLUSH_LIMIT = 6000;
  var owner = (document.querySelector("meta[name='draft-storage']") || {}).content || "";

  function storage(kind) {
    try { return window[kind] || null; } catch (e) { return null; } // blocked by the browser
  }

  function clearOwnCopies() {
    var local = storage("localStorage");
    if (!local || !owner) { return; }
    for (var i = local.length - 1; i >= 0; i--) {
      var name = local.key(i);
      if (name && name.indexOf(PREFIX + owner + ":") === 0) { local.removeItem(name); }
    }
  }

  function toBase64(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i += 0x8000) {
      text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(text);
  }

  function fromBase64(text) {
    return Uint8Array.from(atob(text), function (c) { return c.charCodeAt(0); });
  }

  function timeOf(date) {
    return date.toLocaleTimeString(document.documentElement.lang || undefined,
                                   { hour: "2-digit", minute: "2-digit" });
  }

  function withTime(template, date) { return template.replace("{time}", timeOf(date)); }

  // Send a form whose submission was held back, as its button would have. Not before the held
  // event has finished: a browser ignores a form sent again while its submit event is firing
  // (promise callbacks can run within it).
  function submitAgain(form, submitter) {
    form.dataset.draftsGo = "1";
    setTimeout(function () { form.requestSubmit(submitter); }, 0);
  }

  // Waits at most ``limit`` ms: leaving must never hang on a slow network.
  function within(promise, limit) {
    return Promise.race([promise, new Promise(function (resolve) {
      setTimeout(resolve, limit);
    })]);
  }

  function setUp(section) {
    var form = section.nextElementSibling;
    while (form && form.tagName !== "FORM") { form = form.nextElementSibling; }
    var token = form && form.querySelector("input[name=csrf_token]");
    if (!form || !token) { return null; }
    var url = section.dataset.url;
    var slot = PREFIX + owner + ":" + section.dataset.form;
    var local = storage("localStorage");
    var status = section.querySelector("[data-draft-status]");
    var offer = section.querySelector("[data-draft-offer]");
    var signedOutBox = section.querySelector("[data-draft-signed-out]");
    var key = importKey(section.dataset.key);
    var initial = JSON.stringify(serialize());
    var lastSent = initial, lastServerSave = null;
    var dirty = false, leaving = false, waiting = false, localTimer = null, serverTimer = null;

    // No WebCrypto (plain http away from localhost) or no storage: no browser copy at all, rather
    // than names readable on a shared computer.
    function importKey(text) {
      if (!text || !local || !window.crypto || !window.crypto.subtle) { return Promise.resolve(null); }
      return window.crypto.subtle.importKey("raw", fromBase64(text), { name: "AES-GCM" }, false,
                                            ["encrypt", "decrypt"]).catch(function () { return null; });
    }

    function serialize() {
      var pairs = [];
      new FormData(form).forEach(function (value, name) {
        if (typeof value === "string" && name !== "csrf_token") { pairs.push([name, value]); }
      });
      return pairs;
    }

    function saveLocal(pairs) {
      return key.then(function (cryptoKey) {
        if (!cryptoKey) { return; }
        var iv = window.crypto.getRandomValues(new Uint8Array(12));
        var plain = new TextEncoder().encode(JSON.stringify({ fields: pairs, at: Date.now() }));
        return window.crypto.subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: new TextEncoder().encode(slot) },
                                            cryptoKey, plain).then(function (sealed) {
          local.setItem(slot, toBase64(iv) + "." + toBase64(new Uint8Array(sealed)));
        });
      }).catch(function () { /* full or blocked storage: the server copy remains */ });
    }

    function readLocal() {
      return key.then(function (cryptoKey) {
        var stored = cryptoKey && local.getItem(slot);
        if (!stored) { return null; }
        var parts = stored.split(".");
        return window.crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(parts[0]),
                                              additionalData: new TextEncoder().encode(slot) },
                                            cryptoKey, fromBase64(parts[1])).then(function (plain) {
          var copy = JSON.parse(new TextDecoder().decode(plain));
          return { fields: copy.fields, at: new Date(copy.at) };
        });
      }).catch(function () { return null; });
    }

    function removeLocal() { if (local) { local.removeItem(slot); } }

    function readServer() {
      return fetch(url, { credentials: "same-origin", redirect: "manual", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) { return body && body.draft && { fields: body.draft.fields, at: new Date(body.draft.saved_at) }; })
        .catch(function () { return null; });
    }

    // "saved", "signed-out" (the gate sent us to sign in, or the session's CSRF token changed),
    // "too-large", "offline" or "failed".
    function sendServer(pairs, keepalive) {
      var body = JSON.stringify({ fields: pairs });
      return fetch(url, { method: "PUT", credentials: "same-origin", redirect: "manual", keepalive: !!keepalive,
                          headers: { "Content-Type": "application/json", "Accept": "application/json",
                                     "X-CSRFToken": token.value },
                          body: body }).then(function (response) {
        if (response.ok) { lastSent = JSON.stringify(pairs); return "saved"; }
        if (response.type === "opaqueredirect" || response.status === 401) { return "signed-out"; }
        if (response.status === 413) { return "too-large"; }
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        return response.status === 400 && !json ? "signed-out" : "failed";
      }, function () { return "offline"; });
    }

    function show(outcome) {
      if (outcome === "saved") {
        lastServerSave = new Date();
        status.textContent = withTime(status.dataset.saved, lastServerSave);
        signedOutBox.hidden = true;
      } else if (outcome === "signed-out") {
        showSignedOut();
      } else if (outcome === "too-large") {
        status.textContent = status.dataset.tooLarge;
      } else if (outcome === "offline" || outcome === "failed") {
        status.textContent = status.dataset.local;
      }
    }

    function showSignedOut() {
      var serverOnly = section.querySelector("[data-draft-server-only]");
      key.then(function (cryptoKey) {
        section.querySelector("[data-draft-local]").hidden = !cryptoKey;
        serverOnly.hidden = !!cryptoKey;
        if (!serverOnly.dataset.template) { serverOnly.dataset.template = serverOnly.textContent; }
        serverOnly.textContent = withTime(serverOnly.dataset.template, lastServerSave || new Date(0));
        signedOutBox.hidden = false;
      });
    }

    // Everything as it is now: into this browser, then to the server.
    function flush() {
      clearTimeout(localTimer);
      clearTimeout(serverTimer);
      var pairs = serialize();
      return saveLocal(pairs).then(function () { return sendServer(pairs); }).then(function (outcome) {
        show(outcome);
        // The server has all of it: the browser's copy is no longer needed.
        if (outcome === "saved" && JSON.stringify(serialize()) === lastSent) { removeLocal(); }
        return outcome;
      });
    }

    function changed() {
      dirty = JSON.stringify(serialize()) !== initial;
      if (!dirty || waiting) { return; }
      clearTimeout(localTimer);
      clearTimeout(serverTimer);
      localTimer = setTimeout(function () { saveLocal(serialize()); }, LOCAL_DELAY);
      serverTimer = setTimeout(flush, SERVER_DELAY);
    }

    function fill(pairs) {
      // Rows first: as many people, responses and links as the work had.
      var rows = {};
      pairs.forEach(function (pair) {
        var match = /^([a-z_]+)-(\d+)-/.exec(pair[0]);
        if (match) { rows[match[1]] = Math.max(rows[match[1]] || 0, Number(match[2]) + 1); }
      });
      Object.keys(rows).forEach(function (group) {
        var box = form.querySelector("[data-rows='" + group + "']");
        var add = form.querySelector("[data-add-row='" + group + "']");
        while (box && add && box.querySelectorAll("[data-row]").length < rows[group]) { add.click(); }
      });
      var values = {}, used = {};
      pairs.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
      Array.prototype.forEach.call(form.elements, function (field) {
        // A file sent ahead is listed by the server, which knows what arrived: a draft never unlists it.
        if (!field.name || field.name === "csrf_token" || field.hasAttribute("data-draft-keep")
            || /^(submit|button|file|reset)$/.test(field.type)) { return; }
        var found = values[field.name] || [];
        if (field.type === "checkbox" || field.type === "radio") {
          field.checked = found.indexOf(field.value) !== -1;
        } else if (field.multiple) {
          Array.prototype.forEach.call(field.options, function (o) { o.selected = found.indexOf(o.value) !== -1; });
        } else {
          var index = used[field.name] || 0;
          used[field.name] = index + 1;
          if (index < found.length) { field.value = found[index]; } else if (field.tagName !== "SELECT") { field.value = ""; }
        }
        if (field.tagName === "SELECT") {
          // The facility picker's text box shows the choice; blocks shown for a choice follow it.
          var search = document.getElementById(field.id + "-search");
          if (search) { search.value = field.value && field.selectedIndex >= 0 ? field.options[field.selectedIndex].text : ""; }
          if (document.querySelector("[data-show-when^='" + field.name + "=']")) {
            field.dispatchEvent(new Event("change", { bubbles: true }));
          }
        }
      });
      // Once every box holds its text: the rows' translations follow the original language (app.js).
      var original = form.querySelector("select[name='original_language']");
      if (original) { original.dispatchEvent(new Event("change", { bubbles: true })); }
    }

    function warnIfOlder(pairs, box) {
      var version = (pairs.filter(function (pair) { return pair[0] === "version"; })[0] || [])[1];
      var older = box.querySelector("[data-draft-older]");
      if (older) { older.hidden = !(section.dataset.version && version && version !== section.dataset.version); }
    }

    function restore(found, reason) {
      fill(found.fields);
      dirty = JSON.stringify(serialize()) !== initial;
      var notice = section.querySelector("[data-draft-restored='" + reason + "']");
      notice.hidden = false;
      warnIfOlder(found.fields, notice.parentNode);
      notice.focus();
      flush();
    }

    function offerBack(found) {
      waiting = true;
      var when = offer.querySelector("[data-draft-when]");
      when.textContent = withTime(when.textContent, found.at);
      warnIfOlder(found.fields, offer);
      offer.hidden = false;
      offer.focus();
      offer.querySelector("[data-draft-restore]").addEventListener("click", function () {
        offer.hidden = true;
        waiting = false;
        restore(found, "reload");
      });
      offer.querySelector("[data-draft-discard]").addEventListener("click", function () {
        offer.hidden = true;
        waiting = false;
        removeLocal();
        fetch(url, { method: "DELETE", credentials: "same-origin", redirect: "manual",
                     headers: { "X-CSRFToken": token.value } }).catch(function () { return null; });
        status.textContent = status.dataset.discarded;
        changed();
      });
    }

    // Leave for another page of this site while keeping the work: the language switcher, the
    // sign-in link. The work is put back when this form opens again.
    function remember(reason) {
      var session = storage("sessionStorage");
      if (session) { session.setItem(RESTORE, JSON.stringify({ slot: slot, reason: reason })); }
    }

    function leaveKeeping(reason, go) {
      remember(reason);
      leaving = true;
      var done = function () { go(); };
      within(flush(), FLUSH_LIMIT).then(done, done);
    }

    section.querySelector("[data-draft-sign-in]").addEventListener("click", function (event) {
      event.preventDefault();
      var link = event.currentTarget;
      leaveKeeping("signin", function () { window.location.href = link.href; });
    });

    // The language switcher: a form or a link that comes back to this very page.
    var here = window.location.pathname + window.location.search;
    document.addEventListener("submit", function (event) {
      var other = event.target;
      var next = other.querySelector && other.querySelector("input[name=next]");
      if (!dirty || other === form || other.dataset.draftsGo || !next || next.value !== here) { return; }
      event.preventDefault();
      var submitter = event.submitter;
      leaveKeeping("reload", function () { submitAgain(other, submitter); });
    });
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("header a[href]");
      if (!dirty || !link || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey ||
          event.shiftKey) { return; }
      var target = new URL(link.href, window.location.href);
      var comesBack = target.searchParams.get("next") === here || (target.searchParams.has("lang") &&
        target.pathname === window.location.pathname && target.origin === window.location.origin);
      if (!comesBack) { return; }
      event.preventDefault();
      leaveKeeping("reload", function () { window.location.href = link.href; });
    });

    // Save goes at once, without asking. Should the session have ended, the sign-in page it lands
    // on returns to this form, where the work is put back; saved, the next page drops the
    // browser's copy (see below). The last keystrokes join that copy on the way.
    form.addEventListener("submit", function () {
      leaving = true;
      clearTimeout(localTimer);
      remember("signin");
      saveLocal(serialize());
    });

    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    window.addEventListener("beforeunload", function (event) {
      if (!dirty || leaving) { return; }
      event.preventDefault();
      event.returnValue = "";
    });
    // A closed tab or a crash in the making: whatever the server has not seen yet, sent anyway.
    window.addEventListener("pagehide", function () {
      var pairs = serialize();
      if (dirty && !leaving && !waiting && JSON.stringify(pairs) !== lastSent) { sendServer(pairs, true); }
    });

    // Opened: work kept from before is put back (after a language switch or signing in again)
    // or offered back (after a crash or a closed tab). The browser's copy exists only while the
    // server lacks some of the work, so it comes first. A form sent back refused shows what was
    // sent: nothing to put back.
    var pending = takePending();
    Promise.all([readLocal(), readServer()]).then(function (copies) {
      var found = copies[0] || copies[1];
      if (!found || JSON.stringify(found.fields) === initial) { return; }
      if (pending && pending.slot === slot) {
        if (!section.dataset.refused) { restore(found, pending.reason); }
      } else {
        offerBack(found);
      }
    });

    return {
      slot: slot,
      // Signing out: what the server has not seen yet goes now; leaving still asks first.
      send: function () { if (dirty && JSON.stringify(serialize()) !== lastSent) { sendServer(serialize(), true); } }
    };
  }

  function takePending() {
    var session = storage("sessionStorage");
    var pending = null;
    try { pending = JSON.parse(session && session.getItem(RESTORE)); } catch (e) { pending = null; }
    if (session) { session.removeItem(RESTORE); }
    return pending;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var section = document.getElementById("drafts");
    var drafts = section && owner ? setUp(section) : null;
    if (!drafts) {
      // Signed in, and not on the form a Save left: it was saved, its browser copy is done with.
      var pending = takePending();
      var local = storage("localStorage");
      if (pending && local && owner && pending.slot.indexOf(PREFIX + owner + ":") === 0) { local.removeItem(pending.slot); }
    }
    // Signing out: the work goes to the server (it stays there, for its author only), and this
    // browser's copies of this person's drafts are erased.
    document.querySelectorAll("form[action$='/logout']").forEach(function (logout) {
      logout.addEventListener("submit", function () {
        if (drafts) { drafts.send(); }
        clearOwnCopies();
      });
    });
  });
}());
