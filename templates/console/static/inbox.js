// The inbox: new cases and replies show up without a reload. The list is refreshed every 20 seconds
// unless someone is typing. `refreshCases` is global: the browser test calls it instead of waiting.
function refreshCases() {
  return fetch(window.location.href, {credentials: "same-origin"}).then(function (r) {
    return r.ok ? r.text() : null;
  }).then(function (html) {
    if (!html) return;
    var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("case-list");
    var now = document.getElementById("case-list");
    if (fresh && now) now.replaceWith(fresh);
  });
}
setInterval(function () {
  if (document.activeElement && document.activeElement.tagName === "INPUT") return;
  refreshCases();
}, 20000);
