// The conversation on an incident (templates/records/_conversation.html): a comment or an answer is
// sent without leaving the page, so nothing typed in the incident form on the same page is lost,
// and it appears in its thread at once. Without this script the form posts and the page comes back.
(function () {
  "use strict";

  function item(comment) {
    var li = document.createElement("li");
    li.className = "comment";
    li.id = "comment-" + comment.id;
    var meta = document.createElement("p");
    meta.className = "meta";
    var who = document.createElement("strong");
    who.textContent = comment.author;
    meta.appendChild(who);
    var body = document.createElement("p");
    body.className = "prose";
    body.textContent = comment.body;
    li.appendChild(meta);
    li.appendChild(body);
    return li;
  }

  function threadOf(form) {
    // An answer goes under its thread; a new comment starts one at the end of the conversation.
    var holder = form.closest("details") || form;
    var previous = holder.previousElementSibling;
    if (form.querySelector("input[name=parent]") && previous && previous.classList.contains("thread")) {
      return previous;
    }
    var list = document.createElement("ol");
    list.className = "thread";
    form.parentNode.insertBefore(list, form);
    return list;
  }

  function send(event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("comment-form")) { return; }
    event.preventDefault();
    var error = form.querySelector(".comment-error");
    var sent = form.querySelector(".comment-sent");
    var button = form.querySelector("button[type=submit]");
    error.hidden = true;
    sent.textContent = "";
    button.disabled = true;
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"X-Requested-With": "fetch", "Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (data) { return {ok: response.ok, data: data}; });
      })
      .then(function (answer) {
        if (!answer.ok) { throw new Error(answer.data.error ? answer.data.error.message : form.dataset.failed); }
        threadOf(form).appendChild(item(answer.data.comment));
        form.querySelector("textarea").value = "";
        sent.textContent = answer.data.message;
      })
      .catch(function (failure) {
        error.textContent = failure && failure.message && failure.message.indexOf("fetch") < 0 ?
          failure.message : form.dataset.failed;
        error.hidden = false;
      })
      .then(function () { button.disabled = false; });
  }

  document.addEventListener("submit", send);
})();
