// A date field is drawn by the browser in the browser's own language, whatever the console's: an English browser
// shows 04/03/2026 for the 3rd of April, a Danish one 03.04.2026, and a day and a month read the wrong way round
// went unseen. Beside each date field the console says the chosen date in its own language ("fredag den 3. april
// 2026"), as it is typed or picked. The console's locale (bot/i18n.py's format_locale) is the script tag's data-locale.
(function () {
  var locale = document.currentScript && document.currentScript.getAttribute("data-locale");
  if (!locale || !window.Intl) { return; }
  var words = new Intl.DateTimeFormat(locale, {
    weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC"
  });
  var fields = document.querySelectorAll("input[type=date]");
  for (var i = 0; i < fields.length; i++) {
    (function (field, n) {
      var said = document.createElement("span");
      said.className = "date-words muted";
      said.id = (field.id || "date-" + n) + "-words";
      field.insertAdjacentElement("afterend", said);
      var described = field.getAttribute("aria-describedby");
      field.setAttribute("aria-describedby", (described ? described + " " : "") + said.id);
      function say() {
        var day = field.value ? new Date(field.value + "T00:00:00Z") : null;
        said.textContent = day && !isNaN(day.getTime()) ? words.format(day) : "";
      }
      field.addEventListener("input", say);
      field.addEventListener("change", say);
      say();
    })(fields[i], i);
  }
})();
