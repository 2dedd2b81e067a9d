// Tankesmedja participant page. Plain JS, no framework, no external requests.
// Everything participants or the server wrote is shown with textContent, never innerHTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const store = {
    get(key) { try { return localStorage.getItem(key); } catch (e) { return null; } },
    set(key, value) { try { localStorage.setItem(key, value); } catch (e) { /* private mode */ } },
    del(key) { try { localStorage.removeItem(key); } catch (e) { /* private mode */ } },
  };

  let strings = {};
  let lang = "sv";
  let ws = null;
  let retry = 0;
  let pingTimer = null;
  let welcome = null;
  let joined = null;
  let ended = false;
  let lastStatus = "connecting";
  let lastError = null;
  let pendingCode = null;

  // The room token arrives in the fragment of the QR link; keep it and tidy the address bar.
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("t")) {
    store.set("tk.room", hash.get("t"));
    history.replaceState(null, "", location.pathname);
  }
  const roomToken = () => store.get("tk.room");
  const resumeKey = () => "tk.resume." + (roomToken() || "");

  function t(key, params) {
    let text = strings[key] || key;
    for (const [name, value] of Object.entries(params || {})) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  async function loadLanguage(code) {
    const response = await fetch("/i18n/" + code + ".json");
    strings = await response.json();
    lang = code;
    document.documentElement.lang = code;
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-placeholder]")) {
      el.placeholder = t(el.dataset.i18nPlaceholder);
    }
    const other = code === "sv" ? "en" : "sv";
    $("lang").textContent = t("switch_to");
    $("lang").lang = other;
    renderSession();
    renderLobby();
    setStatus(lastStatus);
    showError(lastError);
  }

  function setStatus(key, params) {
    lastStatus = key;
    $("status").textContent = key ? t(key, params) : "";
  }

  function showError(code) {
    lastError = code;
    const el = $("error");
    el.hidden = !code;
    el.textContent = code ? t("error_" + code) : "";
  }

  function show(id) {
    for (const section of ["code-form", "join-form", "lobby", "ended"]) $(section).hidden = section !== id;
  }

  function renderSession() {
    if (!welcome) return;
    $("title").textContent = welcome.series;
    $("session").textContent = t("session_line", welcome.session);
  }

  function renderOrganisations() {
    const select = $("org");
    const chosen = select.value;
    while (select.options.length > 1) select.remove(1);
    for (const org of welcome.organisations) {
      const option = document.createElement("option");
      option.value = String(org.id);
      option.textContent = org.name;
      select.appendChild(option);
    }
    select.value = chosen;
  }

  function renderLobby() {
    if (!joined) return;
    $("me-name").textContent = joined.participant.name;
    $("me-org").textContent = joined.participant.organisation;
    if (typeof joined.present === "number") $("present").textContent = t("present", { count: joined.present });
  }

  function send(message) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  function hello() {
    const message = { type: "hello" };
    if (roomToken()) message.room_token = roomToken();
    else if (pendingCode) message.room_code = pendingCode;
    else { show("code-form"); setStatus(null); $("code").focus(); return; }
    const resume = store.get(resumeKey());
    if (resume) message.resume_token = resume;
    send(message);
  }

  function connect() {
    if (ended) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + "/ws");
    ws.onopen = () => {
      retry = 0;
      setStatus("connected");
      hello();
      clearInterval(pingTimer);
      pingTimer = setInterval(() => send({ type: "ping" }), 25000);
    };
    ws.onmessage = (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      handle(message);
    };
    ws.onclose = () => {
      clearInterval(pingTimer);
      if (ended) return;
      setStatus("reconnecting");
      // Back off up to 10 s so a room full of phones does not hammer a restarting console.
      const delay = Math.min(10000, 500 * 2 ** retry) * (0.5 + Math.random() / 2);
      retry += 1;
      setTimeout(connect, delay);
    };
  }

  function handle(message) {
    switch (message.type) {
      case "welcome":
        welcome = message;
        if (message.room_token) store.set("tk.room", message.room_token);
        pendingCode = null;
        renderSession();
        renderOrganisations();
        showError(null);
        if (!store.get(resumeKey())) { show("join-form"); setStatus(null); }
        break;
      case "joined":
        joined = message;
        store.set(resumeKey(), message.resume_token);
        showError(null);
        setStatus(null);
        renderLobby();
        show("lobby");
        $("lobby-heading").focus();
        break;
      case "presence":
        if (joined) { joined.present = message.present; renderLobby(); }
        break;
      case "ended":
        ended = true;
        show("ended");
        setStatus(null);
        break;
      case "error":
        handleError(message);
        break;
      default:
        break; // newer server, older page: ignore what we do not know
    }
    $("join-form").querySelector("button").disabled = false;
  }

  function handleError(message) {
    showError(message.code);
    if (message.code === "bad_token") {
      store.del("tk.room");
      show("code-form");
    } else if (message.code === "bad_code" || message.code === "rate_limited") {
      if (!welcome) show("code-form");
      pendingCode = null;
    } else if (message.code === "bad_resume") {
      store.del(resumeKey());
      show("join-form");
    }
    if (message.field) {
      const field = { name: "name", organisation_id: "org", room_code: "code" }[message.field];
      if (field) $(field).focus();
    }
  }

  $("code-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = $("code").value.trim();
    if (!code) { showError("code_empty"); return; }
    pendingCode = code;
    showError(null);
    hello();
  });

  $("join-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    const name = $("name").value.trim();
    if (!name) { showError("name_empty"); $("name").focus(); return; }
    if (!$("org").value) { showError("unknown_organisation"); $("org").focus(); return; }
    const role = form.querySelector("input[name=role]:checked");
    if (!role) { showError("choose_role"); form.querySelector("input[name=role]").focus(); return; }
    showError(null);
    setStatus("joining");
    form.querySelector("button").disabled = true;
    send({
      type: "join",
      name: name,
      organisation_id: Number($("org").value),
      role: role.value,
      attendance: form.querySelector("input[name=attendance]:checked").value,
      function: $("function").value.trim(),
    });
  });

  $("lang").addEventListener("click", () => {
    const next = lang === "sv" ? "en" : "sv";
    store.set("tk.lang", next);
    loadLanguage(next);
  });

  const preferred = store.get("tk.lang") ||
    ((navigator.language || "sv").toLowerCase().startsWith("en") ? "en" : "sv");
  loadLanguage(preferred).finally(connect);
})();
