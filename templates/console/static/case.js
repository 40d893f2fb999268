// A case page: the tenant's new messages and the case's status appear without a reload (every 4 seconds).
(function () {
  var thread = document.getElementById("thread");
  var status = document.getElementById("case-status");
  if (!thread || !status) { return; }
  function poll() {
    fetch(thread.dataset.url + "?after=" + thread.dataset.after, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.messages.forEach(function (m) {
          var li = document.createElement("li");
          li.className = m.direction + (m.author.indexOf("staff:") === 0 ? " staff" : "");
          var meta = document.createElement("span");
          meta.className = "muted";
          meta.textContent = m.by + " · " + (m.channel || "") + " · " + m.when;
          li.appendChild(meta);
          li.appendChild(document.createElement("br"));
          var body = document.createElement("span");
          body.dir = "auto";
          body.textContent = m.text;
          li.appendChild(body);
          thread.appendChild(li);
          thread.dataset.after = m.id;
        });
        if (data.messages.length) { thread.scrollTop = thread.scrollHeight; }
        status.textContent = data.status.replace("_", " ");
      })
      .catch(function () {});
  }
  thread.scrollTop = thread.scrollHeight;
  setInterval(poll, 4000);
})();
