// A form that sends something is sent once: a second click while the first answer is on its way (a double click,
// an impatient click on a slow connection) sends nothing more. Sent twice, a volunteer's text reached the tenant
// twice and a new API key was hidden behind the second answer. Coming back to the page (the back button) allows
// sending again.
// A form whose action cannot be undone by a click (closing a person's account, revoking an API key, cancelling an
// appointment, which texts the tenant at once) asks first: its data-confirm holds the question.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
  if (form.dataset.confirm && !form.dataset.sending && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "1";
});
window.addEventListener("pageshow", function () {
  for (var i = 0; i < document.forms.length; i++) delete document.forms[i].dataset.sending;
});
