// A form that sends something is sent once: a second click while the first answer is on its way (a double click,
// an impatient click on a slow connection) sends nothing more. Sent twice, a volunteer's text reached the tenant
// twice and a new API key was hidden behind the second answer. Coming back to the page (the back button) allows
// sending again. A form whose answer is a download (data-download: the Data page's export) leaves the page where it
// is, and no pageshow comes: it is held only for a moment (DOWNLOAD_HOLD_MS), against a double click, and then sends
// again. Held until a pageshow, the Data page did nothing more after its first download.
// A form whose action cannot be undone by a click (closing a person's account, revoking an API key, cancelling an
// appointment, which texts the tenant at once) asks first: its data-confirm holds the question.
// A field's name shadows the form's property of that name (the consent form's <select name="method"> is
// form.method; a field could be named action, dataset or getAttribute): the form is read through Element's own
// methods, which no field replaces. Read as properties, the consent form threw on every submit and was not guarded.
(function () {
  var get = Element.prototype.getAttribute;
  var set = Element.prototype.setAttribute;
  var remove = Element.prototype.removeAttribute;
  var has = Element.prototype.hasAttribute;
  var DOWNLOAD_HOLD_MS = 2000;

  function posts(form, submitter) {
    // A button's formmethod, when it has one, says how that button sends its form.
    var own = submitter && has.call(submitter, "formmethod");
    var method = own ? get.call(submitter, "formmethod") : get.call(form, "method");
    return (method || "get").toLowerCase() === "post";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !posts(form, event.submitter)) return;
    var sending = has.call(form, "data-sending");
    var question = get.call(form, "data-confirm");
    if (question && !sending && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (sending) {
      event.preventDefault();
      return;
    }
    set.call(form, "data-sending", "1");
    if (has.call(form, "data-download")) {
      window.setTimeout(function () {
        remove.call(form, "data-sending");
      }, DOWNLOAD_HOLD_MS);
    }
  });
  // A page shown at the address its form posted to (a case page's form refused and sent back at itself) says its own
  // address (data-address on <main>): put in the address bar, a reload opens the page (not the form's address, and
  // without asking to send the form again), and so does a bookmark or a copied link.
  var main = document.getElementById("main");
  var address = main && get.call(main, "data-address");
  if (address && window.history.replaceState && window.location.pathname !== address) {
    window.history.replaceState(window.history.state, "", address);
  }
  window.addEventListener("pageshow", function () {
    var forms = document.querySelectorAll("form[data-sending]");
    for (var i = 0; i < forms.length; i++) remove.call(forms[i], "data-sending");
  });
})();
