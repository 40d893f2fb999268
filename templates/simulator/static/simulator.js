// keephome demo: the phone simulator. A person plays a tenant over "SMS" or "Telegram".
let tenant = null, channel = "sms", lastJson = "";
// The tenants whose Telegram chat is linked: their Telegram phone needs no way to link it (`showExtra`).
const linked = new Set();
// The toasts (a press's answer, bot/inbound/presses.py) already shown or already there when a phone was opened, and
// the phone ("tenant:channel") the last answer was shown for: a toast is shown when it comes, as Telegram's app shows
// it over the chat for a moment, never again when the phone is opened later.
const toastsSeen = new Set(); let shownPhone = "", toastTimer = null;
const $ = (id) => document.getElementById(id);
// The page's words, in the console's language (bot/demo/simulator.py `_words`).
const W = JSON.parse($("simulator").dataset.words);
// The demo's clock in the page's language (the locale the date field's words are in), not always Danish's.
const NOW = new Intl.DateTimeFormat($("day").closest("[data-locale]").dataset.locale, {
  weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit",
  timeZone: "Europe/Copenhagen"});
const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
async function loadTenants() {
  const list = await (await fetch("/simulator/api/tenants")).json();
  const box = $("tenants"); box.innerHTML = "";
  linked.clear();
  for (const t of list) if (t.telegram_linked) linked.add(t.id);
  for (const t of list) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = t.name;
    const info = document.createElement("small");
    // An erased tenant has no reference left to show.
    info.textContent = [t.ref, t.language_words, t.status_words, t.telegram_linked ? "Telegram" : ""].filter(Boolean).join(" · ");
    const stage = document.createElement("small"); stage.className = "stage"; stage.textContent = t.stage;
    b.append(info, stage);
    if (t.id === tenant) b.classList.add("active");
    b.onclick = () => { tenant = t.id; [...box.children].forEach(c => c.classList.remove("active")); b.classList.add("active"); lastJson = ""; showExtra(); refresh(); };
    box.appendChild(b);
    if (tenant === null) b.click();
  }
  showExtra();
}
function setChannel(c) {
  channel = c; $("tab-sms").classList.toggle("active", c === "sms"); $("tab-telegram").classList.toggle("active", c === "telegram");
  showExtra();
  lastJson = ""; refresh();
}
// Under the Telegram phone of a chat not linked yet: the ways to link it. A linked chat is just a chat.
function showExtra() {
  const extra = $("extra"); extra.innerHTML = "";
  if (channel === "telegram" && !linked.has(tenant)) {
    const share = document.createElement("button"); share.type = "button"; share.id = "contact"; share.textContent = W.share_phone;
    share.onclick = () => send({contact: true});
    const hint = document.createElement("span"); hint.className = "hint"; hint.textContent = W.or_start;
    extra.append(share, " ", hint);
  }
}
function showToast(text) {
  const toast = $("toast"); toast.textContent = text; toast.classList.add("shown");
  // Long enough to read, as Telegram's app keeps a longer one longer.
  clearTimeout(toastTimer); toastTimer = setTimeout(() => toast.classList.remove("shown"), Math.min(6000, 2000 + 40 * text.length));
}
function toasts(messages, phone) {
  for (const m of messages) {
    if (!m.toast || toastsSeen.has(m.toast.id)) continue;
    toastsSeen.add(m.toast.id);
    if (phone === shownPhone) showToast(m.toast.text);
  }
  shownPhone = phone;
}
async function refresh() {
  if (tenant === null) return;
  const phone = `${tenant}:${channel}`;
  const r = await fetch(`/simulator/api/thread?tenant=${tenant}&channel=${channel}`);
  const data = await r.json();
  $("now").textContent = NOW.format(new Date(data.now));
  const json = JSON.stringify(data.messages);
  if (json === lastJson) return;
  toasts(data.messages, phone);
  // Something happened on the phone: the tenant list may say more now (a chat linked, a STOP).
  if (lastJson) loadTenants();
  lastJson = json;
  const thread = $("thread"); thread.innerHTML = "";
  for (const m of data.messages) {
    const d = document.createElement("div"); d.className = "msg " + m.dir; d.textContent = m.text;
    if (m.buttons.length) {
      const bs = document.createElement("div"); bs.className = "buttons";
      for (const b of m.buttons) { const x = document.createElement("button"); x.type = "button"; x.textContent = b.label; x.onclick = () => send({button: b.data, label: b.label}); bs.appendChild(x); }
      d.appendChild(bs);
    }
    thread.appendChild(d);
  }
  thread.scrollTop = thread.scrollHeight;
}
async function send(extra) {
  const r = await fetch("/simulator/api/send", {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify({tenant, channel, ...extra})});
  // A refused message says why where the next one is typed.
  $("text").placeholder = r.ok ? W.write : ((await r.json().catch(() => ({}))).error || W.not_sent);
  setTimeout(refresh, 150);
}
$("compose").onsubmit = (e) => { e.preventDefault(); const t = $("text").value.trim(); if (!t) return; $("text").value = ""; send({text: t}); };
$("tab-sms").onclick = () => setChannel("sms");
$("tab-telegram").onclick = () => setChannel("telegram");
function showPlan(title, rows, already) {
  const box = $("plan"); box.innerHTML = "";
  const h = document.createElement("p"); h.textContent = title; box.appendChild(h);
  if (!rows.length) { const p = document.createElement("p"); p.className = "hint"; p.textContent = W.no_reminders; box.appendChild(p); }
  else {
    const table = document.createElement("table");
    const head = table.insertRow();
    for (const c of [W.tenant, W.stage, W.channel, W.send_after, W.why]) { const th = document.createElement("th"); th.textContent = c; head.appendChild(th); }
    for (const r of rows) { const tr = table.insertRow(); for (const v of [r.tenant, r.stage_words, r.channel, r.send_after, r.reason_words]) tr.insertCell().textContent = v; }
    box.appendChild(table);
  }
  if (already) { const p = document.createElement("p"); p.className = "hint"; p.textContent = fill(W.already, {count: already}); box.appendChild(p); }
}
// The day in the field, if one is chosen: previewing or planning it moves the clock there first.
const chosen = () => $("day").value ? `?date=${encodeURIComponent($("day").value)}` : "";
function refused(text) { const box = $("plan"); box.innerHTML = ""; const p = document.createElement("p"); p.className = "error"; p.textContent = text; box.appendChild(p); }
async function answered(r) {
  const data = await r.json().catch(() => ({}));
  if (!r.ok) { refused(data.error || W.not_sent); return null; }
  lastJson = ""; refresh(); loadTenants();
  return data;
}
async function preview() {
  const data = await answered(await fetch("/simulator/api/preview" + chosen()));
  if (data) showPlan(fill(W.preview, {day: data.day_words}), data.would_plan, data.already_contacted_today);
}
// No day chosen (or only part of one typed): say what to do where the other answers are said, not nothing.
$("move").onclick = async () => { const d = $("day").value; if (!d) { refused(W.choose_day); return; } const data = await answered(await fetch("/simulator/api/clock", {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify({date: d})})); if (data) preview(); };
$("preview").onclick = preview;
$("remind").onclick = async () => { const data = await answered(await fetch("/simulator/api/remind" + chosen(), {method: "POST"})); if (data) showPlan(fill(W.planned, {day: data.day_words}), data.planned, data.already_contacted_today); };
loadTenants();
setInterval(refresh, 1000);
