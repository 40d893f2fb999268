// A "Print this page" button (templates/console/_print.html): a phone has no Ctrl+P, and its browser's menu hides
// printing; the button prints on any. Without scripts it stays hidden and the page says to print from the browser.
document.querySelectorAll("button[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
