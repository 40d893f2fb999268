// A case page: the tenant's new messages, what became of the messages sent (queued, sent, delivered,
// failed and why), the messages keephome could not answer and those dealt with since, the case's status and a change
// of the tenant's consent appear without a reload (every 4 seconds).
(function () {
  var thread = document.getElementById("thread");
  var status = document.getElementById("case-status");
  if (!thread || !status) { return; }
  var CHANNELS = {sms: "SMS", telegram: "Telegram"};
  // The words come from the server (bot/console/delivery.py); this only puts them in place.
  function fillDelivery(span, d) {
    span.className = "delivery " + d.state;
    span.textContent = "";
    if (d.failed) { span.appendChild(document.createTextNode("⚠ ")); }
    var label = document.createElement("strong");
    label.textContent = d.label;
    span.appendChild(label);
    if (d.why) { span.appendChild(document.createTextNode(": " + d.why)); }
    var li = span.closest("li");
    if (li) { li.classList.toggle("failed", d.failed); }
  }
  // What a person wrote, as a block of its own whose direction is its own words' (templates/console/case.html): Arabic
  // reads right to left, its lines in their order, on a page that stays left to right.
  function said(text) {
    var body = document.createElement("div");
    body.className = "said";
    body.dir = "auto";
    body.textContent = text;
    return body;
  }
  function addMessage(m) {
    var li = document.createElement("li");
    li.className = m.direction + (m.author.indexOf("staff:") === 0 ? " staff" : "");
    li.dataset.id = m.id;
    var meta = document.createElement("span");
    meta.className = "muted";
    meta.textContent = m.by + " · " + (CHANNELS[m.channel] || m.channel || "") + " · ";
    var when = document.createElement("span");
    when.dataset.when = m.id;
    when.textContent = m.when;
    meta.appendChild(when);
    li.appendChild(meta);
    if (m.delivery) {
      li.appendChild(document.createElement("br"));
      var state = document.createElement("span");
      state.dataset.delivery = m.id;
      li.appendChild(state);
      fillDelivery(state, m.delivery);
    }
    li.appendChild(said(m.text));
    thread.appendChild(li);
    thread.dataset.after = m.id;
  }
  // A tenant's message keephome could not answer that failed while the page was open: marked as the page marks it
  // (templates/console/_unanswered.html, the words from the server), and the reply's form names it, as a fresh
  // page's does, so that the reply deals with it. The server sends all of them: only those not shown are added.
  var replyForm = document.getElementById("reply-form");
  function addUnanswered(u) {
    if (thread.querySelector('[data-inbound="' + u.id + '"]')) { return false; }
    var li = document.createElement("li");
    li.className = "in unanswered";
    li.dataset.inbound = u.id;
    var meta = document.createElement("span");
    meta.className = "muted";
    meta.textContent = u.by + " · " + u.channel + " · " + u.when;
    li.appendChild(meta);
    li.appendChild(document.createElement("br"));
    var mark = document.createElement("strong");
    mark.className = "flag-failed";
    mark.textContent = "⚠ " + u.mark;
    li.appendChild(mark);
    if (u.shown) {
      li.appendChild(said(u.text !== null ? u.text : u.note));
    } else {
      li.appendChild(document.createElement("br"));
      var note = document.createElement("span");
      note.className = "muted";
      note.textContent = u.note;
      li.appendChild(note);
    }
    thread.appendChild(li);
    if (replyForm) {
      var named = document.createElement("input");
      named.type = "hidden";
      named.name = "unanswered";
      named.value = u.id;
      var dealsWith = document.getElementById("reply-deals-with");
      replyForm.insertBefore(named, dealsWith);
      if (dealsWith) { dealsWith.hidden = false; }
    }
    return true;
  }
  // A message marked for the reader to answer that someone dealt with meanwhile (a reply sent from another page, an
  // admin's "dealt with"): its mark says so (the words from the server), and the reply's form no longer names it.
  function markedOpen() {
    var marked = thread.querySelectorAll("li.unanswered[data-inbound]");
    return Array.prototype.map.call(marked, function (li) { return "&open=" + li.dataset.inbound; }).join("");
  }
  function dealtWith(id) {
    var li = thread.querySelector('li.unanswered[data-inbound="' + id + '"]');
    if (!li) { return; }
    li.classList.remove("unanswered");
    li.classList.add("dealt-with");
    var mark = li.querySelector(".flag-failed");
    if (mark) {
      var note = document.createElement("span");
      note.className = "muted";
      note.textContent = thread.dataset.dealtWith;
      li.replaceChild(note, mark);
    }
    if (!replyForm) { return; }
    var named = replyForm.querySelector('input[name="unanswered"][value="' + id + '"]');
    if (named) { replyForm.removeChild(named); }
    var dealsWith = document.getElementById("reply-deals-with");
    if (dealsWith && !replyForm.querySelector('input[name="unanswered"]')) { dealsWith.hidden = true; }
  }
  // A refused poll (the session ended, the role changed) leaves the page as it was: say so, with the server's
  // reason in the reader's language, until a poll is answered again.
  var stale = document.getElementById("thread-stale");
  function outOfDate(why) {
    if (!stale) { return; }
    stale.textContent = why === null ? "" : stale.dataset.words + (why ? " " + why : "");
    stale.hidden = why === null;
  }
  // The tenant's consent changed while the page was open (a yes to the bot's question, or TILBAGEKALD): what the
  // page shows of their answers and the consent card is as it was, so say so with a link that reloads it.
  var consentChanged = document.getElementById("consent-changed");
  var consent = thread.dataset.consent === "yes";
  function consentNow(given) {
    if (given === undefined || given === consent || !consentChanged) { return; }
    consent = given;
    consentChanged.querySelector("span").textContent = consentChanged.dataset[given ? "given" : "withdrawn"];
    consentChanged.hidden = false;
    var none = document.getElementById("no-consent");
    if (none && given) { none.hidden = true; }
  }
  // The case's status changed while the page was open (another adviser took or closed it, its volunteer finished the
  // task): the badge follows, and since the page's actions are those of the case as it was, a notice says so with a
  // link that reloads it. Waiting for the tenant and taken offer the same actions: a tenant's answer is no change.
  var statusChanged = document.getElementById("status-changed");
  function actionsOf(code) { return code === "waiting_tenant" ? "taken" : code; }
  var shownStatus = actionsOf(status.dataset.status);
  function statusNow(code) {
    if (!code) { return; }
    status.className = "status " + code;
    if (statusChanged && actionsOf(code) !== shownStatus) { statusChanged.hidden = false; }
  }
  function poll() {
    fetch(thread.dataset.url + "?after=" + thread.dataset.after + markedOpen(), {credentials: "same-origin"})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (r.ok) { return data; }
          outOfDate(data.error || "");
          return null;
        });
      })
      .then(function (data) {
        if (!data) { return; }
        outOfDate(null);
        data.messages.forEach(addMessage);
        Object.keys(data.deliveries || {}).forEach(function (id) {
          var span = thread.querySelector('[data-delivery="' + id + '"]');
          if (span) { fillDelivery(span, data.deliveries[id]); }
          // A message queued earlier is dated anew once it went out (as the server dates it).
          var when = thread.querySelector('[data-when="' + id + '"]');
          if (when && data.deliveries[id].when) { when.textContent = data.deliveries[id].when; }
        });
        (data.dealt_with || []).forEach(dealtWith);
        var failed = (data.unanswered || []).filter(addUnanswered);
        if (data.messages.length || failed.length) { thread.scrollTop = thread.scrollHeight; }
        status.textContent = data.status_label;
        statusNow(data.status);
        consentNow(data.consent);
      })
      .catch(function () { outOfDate(""); });
  }
  thread.scrollTop = thread.scrollHeight;
  // On a phone the conversation flows with the page (console.css): a page opened at the conversation (after a reply)
  // shows its last message, the one just sent, not its first, many screens up.
  // The keyboard's place goes to that message too (a screen reader reads it: the reply is sent), not to the whole
  // conversation: on a desktop, where the conversation scrolls in its own box, the browser gave the box itself the
  // focus and a ring drawn around all of it. The message takes focus without a ring (console.css): nothing in it is
  // pressed, and the next Tab goes on from it to the reply's field.
  function toLast() {
    var last = thread.lastElementChild;
    if (window.location.hash !== "#thread" || !last) { return; }
    if (thread.scrollHeight <= thread.clientHeight) { last.scrollIntoView({block: "center"}); }
    last.tabIndex = -1;
    last.focus({preventScroll: true});
  }
  // Now, and once the page has loaded (the browser may go to the #thread anchor's top again then).
  toLast();
  window.addEventListener("load", toLast);
  setInterval(poll, 4000);
})();
