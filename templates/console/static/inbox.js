// The inbox: new cases and replies show up without a reload. The list is refreshed every 20 seconds
// unless someone is typing, or the keyboard's place is in the list: replaced under it, a link reached by Tab
// was gone, and the next Tab started again at the top of the page (a screen reader's place with it).
// `refreshCases` is global: the browser test calls it instead of waiting.
function refreshCases() {
  var active = document.activeElement;
  var list = document.getElementById("case-list");
  if (active && (active.tagName === "INPUT" || (list && list.contains(active)))) return Promise.resolve();
  return fetch(window.location.href, {credentials: "same-origin"}).then(function (r) {
    return r.ok ? r.text() : null;
  }).then(function (html) {
    if (!html) return;
    var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("case-list");
    var now = document.getElementById("case-list");
    // Focus may have moved into the list while the page was fetched.
    if (fresh && now && !now.contains(document.activeElement)) now.replaceWith(fresh);
  });
}
setInterval(refreshCases, 20000);
