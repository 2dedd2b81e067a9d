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
  const MAX_TEXT = 2000;
  const ACK_TIMEOUT = 10000;
  // Errors after which resending an outbox item can never succeed: drop it, say so.
  const FINAL = ["phase_closed", "not_yours", "too_many_cards", "no_reflections", "text_too_long", "text_empty",
    "bad_field", "no_voting", "voting_closed", "card_unavailable", "other_group", "too_many_dots"];
  const ITEM_FIELDS = /^(id|phase|text|revision|answers|card|dots)(\.|$)/;

  let strings = {};
  let lang = "sv";
  let ws = null;
  let retry = 0;
  let reconnectTimer = null;
  let pingTimer = null;
  let lastHeard = 0;
  let welcome = null;
  let joined = null;
  let ready = false; // `joined` arrived on the current connection: the outbox may be sent
  let ended = false;
  let away = false;
  let lastStatus = "connecting";
  let lastParams = null;
  let lastError = null;
  let pendingCode = null;
  let joinSent = false; // a join went out on this connection: an error now is its answer

  let state = null; // the last `state` message
  let clock = null; // {index, deadline, remaining, running}
  let cards = new Map(); // id -> card payload from the server (current phase, not withdrawn)
  let outbox = {}; // id -> latest message not yet acknowledged (mirrored in localStorage)
  const failed = new Map(); // id -> {msg, code}: refused for good, shown with its error
  let inflight = null; // {id, timer}: the one outbox item sent and not yet answered
  let editing = null; // id of the own card being edited in the form
  let surveyBuilt = null;
  let surveySaved = false;
  let shownPhase = null;

  // The room token comes in the QR link's fragment; keep it and tidy the address bar.
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("t")) {
    store.set("tk.room", hash.get("t"));
    history.replaceState(null, "", location.pathname);
  }
  const roomToken = () => store.get("tk.room");
  const resumeKey = () => "tk.resume." + (roomToken() || "");
  const joinKey = () => "tk.join." + (roomToken() || "");
  const outboxKey = () => "tk.outbox." + (roomToken() || "") + "." + joined.participant.id;

  function t(key, params) {
    params = params || {};
    // {n|one|other}: as app/i18n.py
    let text = (strings[key] || key).replace(/\{(\w+)\|([^{}|]*)\|([^{}|]*)\}/g, (f, n, a, b) => Math.abs(params[n]) === 1 ? a : b);
    for (const [name, value] of Object.entries(params)) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function loadLanguage(code) {
    const response = await fetch("/i18n/" + code + ".json");
    strings = await response.json();
    lang = code;
    document.documentElement.lang = code;
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
      node.placeholder = t(node.dataset.i18nPlaceholder);
    }
    $("lang").lang = code === "sv" ? "en" : "sv";
    renderSession();
    renderLobby();
    renderLive();
    setStatus(lastStatus, lastParams);
    showError(lastError);
  }

  function setStatus(key, params) {
    lastStatus = key;
    lastParams = params || null;
    $("status").textContent = key ? t(key, params) : "";
    $("status").classList.toggle("note", key === "reconnecting" || key === "away");
  }

  function showError(code) {
    lastError = code;
    const node = $("error");
    node.hidden = !code;
    node.textContent = code ? t("error_" + code) : "";
  }

  // Live regions stay rendered (only emptied) so screen readers announce new text.
  function note(id, text) {
    const node = $(id);
    if (node.textContent !== text) node.textContent = text || "";
  }

  function show(id) {
    for (const section of ["code-form", "join-form", "lobby", "live", "ended"]) $(section).hidden = section !== id;
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

  // An imported roster lets people pick their own name; the rest of the form then hides.
  function renderRoster() {
    const list = (welcome && welcome.roster) || [];
    const select = $("roster");
    const chosen = select.value;
    const orgName = (id) => (welcome.organisations.find((o) => o.id === id) || {}).name || "";
    while (select.options.length > 1) select.remove(1);
    for (const entry of list) {
      const option = document.createElement("option");
      option.value = String(entry.id);
      option.textContent = entry.name + " – " + orgName(entry.organisation_id);
      select.appendChild(option);
    }
    select.value = list.some((e) => String(e.id) === chosen) ? chosen : "";
    if (chosen && !select.value) showError("roster_taken");
    $("roster-box").hidden = !list.length;
    $("manual-fields").hidden = !!select.value;
  }

  function renderLobby() {
    if (!joined) return;
    $("me-name").textContent = joined.participant.name;
    $("me-org").textContent = joined.participant.organisation;
    if (typeof joined.present === "number") $("present").textContent = t("present", { count: joined.present });
  }

  // -- connection

  function send(message) {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(message)); return true; }
    return false;
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
    clearTimeout(reconnectTimer);
    if (ended || ws) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws");
    ws = socket;
    socket.onopen = () => {
      retry = 0;
      away = false;
      lastHeard = Date.now();
      setStatus("connected");
      hello();
      clearInterval(pingTimer);
      pingTimer = setInterval(() => {
        // No answer to two pings: the socket is dead, whatever the browser thinks.
        if (Date.now() - lastHeard > 60000) dropSocket();
        else send({ type: "ping" });
      }, 25000);
    };
    socket.onmessage = (event) => {
      lastHeard = Date.now();
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      handle(message);
    };
    socket.onclose = () => { if (ws === socket) { ws = null; closed(); } };
  }

  function dropSocket() {
    const socket = ws;
    if (!socket) return;
    ws = null;
    socket.onopen = socket.onmessage = socket.onclose = null;
    try { socket.close(); } catch (e) { /* already closed */ }
    closed();
  }

  function closed() {
    clearInterval(pingTimer);
    ready = false;
    joinSent = false;
    if (inflight) { clearTimeout(inflight.timer); inflight = null; }
    if (ended) return;
    setStatus(away ? "away" : "reconnecting");
    // Back off up to 10 s: a room full of phones must not hammer a restarting console.
    const delay = Math.min(10000, 500 * 2 ** retry) * (0.5 + Math.random() / 2);
    retry += 1;
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, delay);
  }

  function reconnectNow() {
    if (ws) { flush(); return; }
    retry = 0;
    connect();
  }

  // A join waits in localStorage with a random key until `joined`; sent again (after a cut,
  // a crash, a reload) the key gets the participant it made, never a second one.
  function pendingJoin() {
    try { return JSON.parse(store.get(joinKey())); } catch (e) { return null; }
  }

  function sendJoin(message) {
    const pending = pendingJoin();
    message.join_key = (pending && pending.join_key) || newId();
    store.set(joinKey(), JSON.stringify(message));
    joinSent = send(message);
  }

  // -- outbox: persist first, send one at a time, forget only on ack

  function newId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function loadOutbox() {
    let stored = {};
    try { stored = JSON.parse(store.get(outboxKey()) || "{}") || {}; } catch (e) { /* unreadable */ }
    for (const [id, message] of Object.entries(stored)) if (!outbox[id]) outbox[id] = message;
  }

  function saveOutbox() {
    if (!joined) return;
    if (Object.keys(outbox).length) store.set(outboxKey(), JSON.stringify(outbox));
    else store.del(outboxKey());
  }

  function enqueue(message) {
    outbox[message.id] = message;
    saveOutbox(); // before sending: a reload or a dead battery must not lose it
    failed.delete(message.id);
    flush();
  }

  function flush() {
    if (!ready || inflight || !ws || ws.readyState !== WebSocket.OPEN) return;
    const id = Object.keys(outbox)[0];
    if (!id) return;
    // The server's error replies carry no id, so only one item is ever in flight. No answer
    // in time: start over on a fresh connection, where no late reply can be mistaken.
    const msg = outbox[id];
    inflight = { id: id, msg: msg, timer: setTimeout(() => {
      if (inflight && inflight.msg === msg) dropSocket();
    }, ACK_TIMEOUT) };
    send(msg);
  }

  function settle(id) {
    if (inflight && inflight.id === id) { clearTimeout(inflight.timer); inflight = null; }
  }

  function handleAck(message) {
    const entry = outbox[message.id];
    settle(message.id);
    if (entry && message.revision >= (entry.revision || 0)) {
      delete outbox[message.id];
      saveOutbox();
      failed.delete(message.id);
      if (entry.type === "reflect") {
        const known = cards.get(entry.id);
        if (state && state.phase && entry.phase === state.phase.index && (!known || known.revision < message.revision)) {
          cards.set(entry.id, Object.assign({}, known || mineCard(entry), { text: entry.text, revision: message.revision }));
        }
        $("card-status").textContent = t("card_saved_note");
      } else if (entry.type === "withdraw") {
        cards.delete(entry.id);
        $("card-status").textContent = t("card_withdrawn_note");
      } else if (entry.type === "survey") {
        surveySaved = true;
      }
    }
    renderWork();
    renderVote();
    flush();
  }

  // An error while an item is in flight belongs to that item (one at a time, in order).
  function itemError(message) {
    const id = message.ref && outbox[message.ref] ? message.ref : inflight && inflight.id;
    if (!id || !outbox[id]) return false;
    // Refused, but since replaced by a newer version (an edit): try that one instead.
    if (!message.ref && outbox[id] !== inflight.msg) { settle(id); flush(); return true; }
    const final = FINAL.includes(message.code) &&
      (message.code !== "bad_field" || ITEM_FIELDS.test(message.field || ""));
    settle(id);
    if (!final) { setTimeout(flush, 3000); return false; }
    failed.set(id, { msg: outbox[id], code: message.code });
    delete outbox[id];
    saveOutbox();
    renderWork();
    renderVote();
    flush();
    return true;
  }

  // -- the live session: phase, timer, group, cards, survey

  const isMe = (k) => !!k && k === (joined || {}).key;

  function mineCard(entry) {
    return {
      id: entry.id, phase: entry.phase, text: entry.text, revision: 0, author_key: joined.key, withdrawn: false,
      author: joined.participant.name, organisation: joined.participant.organisation,
    };
  }

  function phaseOpen(index) {
    return !!(state && state.phase && state.phase.index === index &&
      (state.status === "running" || state.status === "paused"));
  }

  function handleState(message) {
    const previous = shownPhase;
    state = message;
    cards = new Map();
    for (const card of message.cards || []) if (!card.withdrawn) cards.set(card.id, card);
    const p = message.phase;
    clock = p ? {
      index: p.index, running: p.running, remaining: p.remaining_ms,
      deadline: performance.now() + p.remaining_ms,
    } : null;
    shownPhase = p ? p.index : message.status;
    if (previous !== shownPhase) {
      if (editing && !phaseOpen(cardPhase(editing))) stopEditing();
      $("card-status").textContent = "";
      $("card-error").hidden = true;
      $("announce").textContent = p && previous !== null ? t("phase_now", { title: p.title }) : "";
    }
    renderLive();
    if (previous !== shownPhase && !$("live").hidden) {
      const active = document.activeElement;
      if (!active || active === document.body || active.offsetParent === null) $("phase-title").focus();
    }
  }

  function cardPhase(id) {
    const card = cards.get(id) || outbox[id] || (failed.get(id) || {}).msg;
    return card ? card.phase : -1;
  }

  function renderLive() {
    if (!joined || !state) return;
    if (!state.phase && state.status !== "ended") { show("lobby"); return; }
    show("live");
    const p = state.phase;
    const kind = p ? p.kind : "ended";
    $("phase-step").textContent = p ? t("phase_step", { number: p.index + 1, count: p.count }) : "";
    $("phase-title").textContent = p ? p.title : t("thanks_heading");
    $("prompt").textContent = p && kind !== "survey" ? p.prompt : "";
    $("prompt").hidden = !$("prompt").textContent;
    $("timer").hidden = !p || kind === "closing";
    const reflecting = kind === "mixed_groups" || kind === "municipality";
    $("card-form").hidden = !reflecting;
    $("survey-form").hidden = kind !== "survey";
    $("vote").hidden = kind !== "prioritise";
    $("thanks").hidden = kind !== "closing" && kind !== "ended";
    $("thanks").textContent = t("thanks_text");
    renderGroup(reflecting ? state.group : null, reflecting);
    if (kind === "survey") buildSurvey(state.survey);
    renderWork();
    renderVote();
    tick();
  }

  // -- prioritise: dots on the group's cards, each change an outbox item

  function myDots(id) {
    let dots = (state.vote.mine || {})[id] || 0;
    for (const m of Object.values(outbox)) if (m.type === "vote" && m.card === id) dots = m.dots;
    return dots;
  }

  function renderVote() {
    const v = state && state.vote;
    if (!v || $("vote").hidden) return;
    const ballot = state.cards || [];
    const left = v.dots - ballot.reduce((sum, c) => sum + myDots(c.id), 0);
    $("vote-help").textContent = t(v.open ? "vote_help" : "vote_closed", { max: v.per_card });
    note("vote-left", ballot.length ? (v.open ? t("vote_remaining", { count: Math.max(0, left), dots: v.dots }) : "") : t("vote_none"));
    const list = $("ballot");
    const nodes = new Map(Array.from(list.children, (node) => [node.dataset.id, node]));
    for (const [id, node] of nodes) if (!ballot.some((c) => c.id === id)) node.remove();
    ballot.forEach((card, i) => {
      let node = nodes.get(card.id);
      if (!node) {
        node = el("li", "card");
        node.dataset.id = card.id;
        const row = el("div", "dots");
        for (const d of [-1, 1]) {
          const b = el("button", "small secondary", d < 0 ? "−" : "+");
          b.type = "button";
          b.dataset.d = d;
          row.append(b);
        }
        const count = el("span", "mine");
        count.id = "dots-" + card.id; // ids are [A-Za-z0-9_-]: the buttons point at their count
        for (const b of row.children) b.setAttribute("aria-describedby", count.id);
        row.insertBefore(count, row.lastChild);
        node.append(el("p", "text"), el("p", "meta"), row, el("p", "error"));
      }
      const [text, meta, row, error] = node.children;
      const mine = myDots(card.id);
      const short = card.text.slice(0, 40);
      text.textContent = card.text;
      let who = card.author + (card.organisation ? ", " + card.organisation : "");
      if (v.counts) who += " · " + t("vote_total", { count: v.counts[card.id] || 0 });
      meta.textContent = who;
      row.hidden = !v.open;
      const [minus, count, plus] = row.children;
      const circles = el("span", "", "●".repeat(mine));
      circles.setAttribute("aria-hidden", "true");
      count.replaceChildren(circles, " " + t("vote_mine", { count: mine }));
      // aria-disabled, not disabled: the button keeps focus after the last dot is spent.
      minus.setAttribute("aria-disabled", String(!mine));
      plus.setAttribute("aria-disabled", String(mine >= v.per_card || left <= 0));
      minus.setAttribute("aria-label", t("vote_remove", { text: short }));
      plus.setAttribute("aria-label", t("vote_add", { text: short }));
      const lost = Array.from(failed.values()).reverse().find((f) => f.msg.type === "vote" && f.msg.card === card.id);
      error.hidden = !lost;
      error.textContent = lost ? t("error_" + lost.code) : "";
      if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null);
    });
    const top = $("top");
    top.replaceChildren();
    for (const c of v.top || []) {
      const item = el("li", "card");
      item.append(el("p", "text", c.text), el("p", "meta", t("vote_dots", { count: c.dots })));
      top.append(item);
    }
    $("top-heading").hidden = !top.children.length;
  }

  function castVote(id, delta) {
    const dots = myDots(id) + delta;
    // Absolute numbers: a newer unsent vote on the card replaces the older one.
    for (const m of Object.values(outbox)) {
      if (m.type === "vote" && m.card === id && !(inflight && inflight.id === m.id)) delete outbox[m.id];
    }
    for (const [fid, f] of failed) if (f.msg.type === "vote") failed.delete(fid);
    enqueue({ type: "vote", id: newId(), phase: state.phase.index, card: id, dots: dots });
    renderVote();
  }

  function renderGroup(group, reflecting) {
    $("group").hidden = !group;
    $("group-wait").hidden = !reflecting || !!group;
    if (!group) return;
    const municipality = group.kind === "municipality";
    $("group-heading").textContent = t(municipality ? "group_heading_municipality" : "group_heading", { number: group.number });
    const mode = group.attendance === "mixed" && joined ? joined.participant.attendance : group.attendance;
    const place = mode === "remote" ? "place_remote" : mode === "in_room" ? "place_in_room" : null;
    $("group-place").textContent = place ? t(place, { number: group.number }) : "";
    $("group-place").hidden = !place;
    const list = $("members");
    list.replaceChildren();
    for (const member of group.members) {
      const me = isMe(member.key);
      const item = el("li", me ? "me" : "");
      item.append(el("span", "name", member.name));
      if (me) item.append(el("span", "you", " " + t("member_you")));
      item.append(" ", el("span", "org", member.organisation));
      list.append(item);
    }
    const link = String(group.link || "");
    const anchor = $("group-link");
    const safe = /^https?:\/\//i.test(link);
    $("group-link-line").hidden = !link;
    anchor.hidden = !safe;
    // A safe link is a button into the group's call; anything else is plain text.
    $("group-link-label").hidden = safe;
    if (safe) { anchor.href = link; anchor.title = link; } else { anchor.removeAttribute("href"); anchor.removeAttribute("title"); }
    $("group-link-text").textContent = safe ? "" : link;
  }

  // The card list: the server's cards overlaid with our unacknowledged changes.
  function cardViews() {
    const index = state.phase.index;
    const views = [];
    const seen = new Set();
    for (const card of cards.values()) {
      if (card.phase !== index) continue;
      seen.add(card.id);
      const entry = outbox[card.id];
      if (entry && entry.type === "withdraw") continue;
      views.push(Object.assign({}, card, {
        text: entry ? entry.text : card.text, saving: !!entry, error: (failed.get(card.id) || {}).code,
      }));
    }
    for (const entry of Object.values(outbox)) {
      if (entry.type !== "reflect" || entry.phase !== index || seen.has(entry.id)) continue;
      seen.add(entry.id);
      views.push(Object.assign(mineCard(entry), { saving: true }));
    }
    for (const [id, f] of failed) {
      if (f.msg.type !== "reflect" || f.msg.phase !== index || seen.has(id)) continue;
      views.push(Object.assign(mineCard(f.msg), { error: f.code, lost: true }));
    }
    return views;
  }

  function renderWork() {
    if (!state) return;
    const kind = state.phase ? state.phase.kind : "ended";
    if (kind === "survey") renderSurveyStatus();
    const reflecting = kind === "mixed_groups" || kind === "municipality";
    const list = $("cards");
    const views = reflecting ? cardViews() : [];
    $("cards-heading").hidden = !views.length;
    // Update in place by id: a card about to be pressed keeps its place and focus.
    const nodes = new Map(Array.from(list.children, (node) => [node.dataset.id, node]));
    const keep = new Set(views.map((v) => v.id));
    for (const [id, node] of nodes) if (!keep.has(id)) node.remove();
    views.forEach((view, i) => {
      const node = nodes.get(view.id) || makeCard(view.id);
      fillCard(node, view);
      if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null);
    });
    $("card-label").textContent = t(editing ? "card_label_edit" : "card_label");
    $("card-save").textContent = t(editing ? "card_save_edit" : "card_save");
    $("card-cancel").hidden = !editing;
  }

  function makeCard(id) {
    const node = el("li", "card");
    node.dataset.id = id;
    node.append(el("p", "text"), el("p", "meta"), el("p", "error"));
    const actions = el("div", "actions");
    for (const [act, key] of [["edit", "card_edit"], ["withdraw", "card_withdraw"]]) {
      const button = el("button", "small secondary");
      button.type = "button";
      button.dataset.act = act;
      button.dataset.key = key;
      actions.append(button);
    }
    node.append(actions);
    return node;
  }

  function fillCard(node, view) {
    const [text, meta, error, actions] = node.children;
    const mine = isMe(view.author_key);
    node.classList.toggle("mine", mine);
    if (text.textContent !== view.text) text.textContent = view.text;
    meta.replaceChildren(el("span", "who", view.author + (view.organisation ? ", " + view.organisation : "")));
    if (mine && !view.lost) {
      meta.append(" ", el("span", view.saving ? "save saving" : "save saved", t(view.saving ? "card_saving" : "card_saved")));
    }
    if (mine && view.hidden) meta.append(" ", el("span", "save saving", t("card_hidden_note")));
    error.hidden = !view.error;
    error.textContent = view.error ? t("error_" + view.error) : "";
    actions.hidden = !mine || !phaseOpen(view.phase);
    for (const button of actions.children) {
      button.textContent = t(button.dataset.key);
      button.setAttribute("aria-label", t(button.dataset.key + "_label", { text: view.text.slice(0, 40) }));
    }
  }

  function latestRevision(id) {
    const entry = outbox[id];
    const card = cards.get(id);
    const lost = failed.get(id);
    return Math.max(entry ? entry.revision || 0 : 0, card ? card.revision : 0, lost ? lost.msg.revision || 0 : 0);
  }

  function stopEditing() {
    editing = null;
    $("card-text").value = "";
    renderWork();
  }

  function cardError(key) {
    $("card-error").hidden = !key;
    $("card-error").textContent = key ? t(key) : "";
  }

  function submitCard() {
    const text = $("card-text").value;
    if (!text.trim()) { cardError("error_text_empty"); $("card-text").focus(); return; }
    if (text.length > MAX_TEXT) { cardError("error_text_too_long"); $("card-text").focus(); return; }
    cardError(null);
    const id = editing || newId();
    const phase = editing ? cardPhase(editing) : state.phase.index;
    enqueue({ type: "reflect", id: id, phase: phase, text: text, revision: latestRevision(id) + 1 });
    $("card-status").textContent = t("card_saving_note");
    editing = null;
    $("card-text").value = "";
    renderWork();
  }

  function cardAction(act, id) {
    const view = cardViews().find((v) => v.id === id);
    if (!view) return;
    if (act === "edit") {
      editing = id;
      $("card-text").value = view.text;
      renderWork();
      $("card-text").focus();
    } else if (act === "withdraw") {
      if (editing === id) stopEditing();
      if (view.lost) { failed.delete(id); renderWork(); return; }
      enqueue({ type: "withdraw", id: id, revision: latestRevision(id) + 1 });
      renderWork();
      $("card-text").focus();
    }
  }

  // -- countdown: computed locally from remaining_ms at receipt

  function remaining() {
    if (!clock) return 0;
    return clock.running ? clock.deadline - performance.now() : clock.remaining;
  }

  function tick() {
    if (!clock || !state || $("timer").hidden) { note("time-note", ""); return; }
    const ms = remaining();
    const total = Math.max(0, Math.ceil(ms / 1000));
    const mm = String(Math.floor(total / 60)).padStart(2, "0");
    const ss = String(total % 60).padStart(2, "0");
    const text = mm + ":" + ss;
    if ($("clock").textContent !== text) $("clock").textContent = text;
    $("paused").hidden = clock.running;
    $("timer").classList.toggle("low", total <= state.warning_seconds);
    // Announced once when it changes (role=status), never every second.
    let message = "";
    if (total <= 0) message = t("time_up");
    else if (total <= state.warning_seconds) message = t("time_warning", { minutes: Math.round(state.warning_seconds / 60) });
    note("time-note", message);
  }
  setInterval(tick, 500);

  // -- survey

  function pendingSurvey() {
    return Object.values(outbox).find((m) => m.type === "survey");
  }

  function buildSurvey(survey) {
    if (!survey) return;
    const key = state.phase.index + JSON.stringify(survey.items);
    if (surveyBuilt === key) return; // never wipe what someone is filling in
    surveyBuilt = key;
    const pending = pendingSurvey();
    const answers = Object.assign({}, survey.answers || {}, pending ? pending.answers : {});
    surveySaved = !pending && Object.keys(survey.answers || {}).length > 0;
    const box = $("survey-items");
    box.replaceChildren();
    survey.items.forEach((item, n) => {
      const name = "q-" + n;
      if (item.kind === "likert") {
        const set = el("fieldset", "likert");
        set.dataset.key = item.key;
        set.append(el("legend", "", item.text));
        const scale = el("div", "scale");
        for (let v = 1; v <= 5; v++) {
          const label = el("label", "point");
          const input = el("input");
          input.type = "radio";
          input.name = name;
          input.value = String(v);
          input.checked = answers[item.key] === v;
          label.append(input, el("span", "num", String(v)));
          if (v === 1 || v === 5) {
            const end = el("span", "end", t(v === 1 ? "likert_low" : "likert_high"));
            end.dataset.i18n = v === 1 ? "likert_low" : "likert_high";
            label.append(end);
          }
          scale.append(label);
        }
        set.append(scale);
        box.append(set);
      } else {
        const wrap = el("div", "open");
        wrap.dataset.key = item.key;
        const label = el("label", "", item.text);
        label.htmlFor = name;
        const area = el("textarea");
        area.id = name;
        area.rows = 3;
        area.maxLength = MAX_TEXT;
        area.value = typeof answers[item.key] === "string" ? answers[item.key] : "";
        wrap.append(label, area);
        box.append(wrap);
      }
    });
  }

  function renderSurveyStatus() {
    const lost = Array.from(failed.values()).find((f) => f.msg.type === "survey");
    const error = $("survey-error");
    error.hidden = !lost;
    error.textContent = lost ? t("error_" + lost.code) : "";
    let key = "";
    if (pendingSurvey()) key = "survey_sending";
    else if (surveySaved) key = "survey_saved";
    $("survey-status").textContent = key ? t(key) : "";
    $("survey-form").querySelector("button[type=submit]").textContent = t(surveySaved ? "survey_resubmit" : "survey_submit");
  }

  function submitSurvey() {
    const answers = {};
    for (const set of $("survey-items").querySelectorAll("fieldset.likert")) {
      const checked = set.querySelector("input:checked");
      if (checked) answers[set.dataset.key] = Number(checked.value);
    }
    for (const wrap of $("survey-items").querySelectorAll("div.open")) {
      const value = wrap.querySelector("textarea").value;
      if (value.trim() || state.survey.answers[wrap.dataset.key]) answers[wrap.dataset.key] = value.trim();
    }
    const error = $("survey-error");
    if (!Object.keys(answers).length) {
      error.hidden = false;
      error.textContent = t("error_survey_empty");
      return;
    }
    // Newer answers replace older unsent ones; the server keeps the last of each.
    for (const m of Object.values(outbox)) if (m.type === "survey" && !(inflight && inflight.id === m.id)) delete outbox[m.id];
    for (const [id, f] of failed) if (f.msg.type === "survey") failed.delete(id);
    surveySaved = false;
    enqueue({ type: "survey", id: newId(), answers: answers });
    renderSurveyStatus();
  }

  // -- messages from the server

  function handle(message) {
    switch (message.type) {
      case "welcome":
        welcome = message;
        if (message.room_token) store.set("tk.room", message.room_token);
        pendingCode = null;
        renderSession();
        renderOrganisations();
        showError(null);
        renderRoster();
        if (!store.get(resumeKey())) {
          const pending = pendingJoin();
          show("join-form");
          setStatus(pending ? "joining" : null);
          if (pending) sendJoin(pending);
        }
        break;
      case "joined":
        joined = message;
        store.set(resumeKey(), message.resume_token);
        store.del(joinKey()); // the resume token brings us back now
        joinSent = false;
        showError(null);
        setStatus(null);
        renderLobby();
        $("announce").textContent = t("joined_note", { name: message.participant.name });
        if (!state) { show("lobby"); $("lobby-heading").focus(); }
        loadOutbox();
        ready = true;
        flush(); // everything not yet acknowledged goes again: the server ignores repeats
        break;
      case "state":
        handleState(message);
        break;
      case "roster":
        if (welcome) { welcome.roster = message.roster; renderRoster(); }
        break;
      case "card": {
        const card = message.card;
        if (card.withdrawn) cards.delete(card.id);
        else if (!cards.has(card.id) || cards.get(card.id).revision <= card.revision) cards.set(card.id, card);
        renderWork();
        break;
      }
      case "ack":
        handleAck(message);
        break;
      case "presence":
        if (joined) { joined.present = message.present; renderLobby(); }
        break;
      case "away":
        away = true;
        setStatus("away");
        break;
      case "ended":
        end();
        break;
      case "error":
        if (!itemError(message)) handleError(message);
        break;
      default:
        break; // newer server, older page: ignore what we do not know
    }
    $("join-form").querySelector("button").disabled = false;
  }

  function end() {
    ended = true;
    show("ended");
    setStatus(null);
  }

  function handleError(message) {
    // A refused join stored nothing: the next one is a new join, with a new key.
    if (joinSent) { joinSent = false; store.del(joinKey()); }
    // Back after the last phase (a reload, a late scan): say goodbye, not "error".
    if (message.code === "session_ended" && !joined) { end(); return; }
    showError(message.code);
    if (message.code === "bad_token") {
      store.del("tk.room");
      setStatus(null); // a void link is not "connected"
      show("code-form");
    } else if (message.code === "bad_code" || message.code === "rate_limited") {
      if (!welcome) show("code-form");
      pendingCode = null;
    } else if (message.code === "roster_taken") {
      const taken = $("roster").value;
      if (welcome && welcome.roster) welcome.roster = welcome.roster.filter((e) => String(e.id) !== taken);
      $("roster").value = "";
      renderRoster();
      showError("roster_taken");
      $("roster").focus();
    } else if (message.code === "bad_resume") {
      // That participant is gone (erased on request): their unsent words go too.
      store.del(resumeKey());
      outbox = {};
      saveOutbox();
      show("join-form");
    }
    if (message.field) {
      const field = { name: "name", organisation_id: "org", room_code: "code" }[message.field];
      if (field) $(field).focus();
    }
  }

  // -- forms

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
    const attendance = form.querySelector("input[name=attendance]:checked").value;
    if ($("roster").value) {
      showError(null);
      setStatus("joining");
      form.querySelector("button").disabled = true;
      sendJoin({ type: "join", roster_id: Number($("roster").value), attendance: attendance });
      return;
    }
    const name = $("name").value.trim();
    if (!name) { showError("name_empty"); $("name").focus(); return; }
    if (!$("org").value) { showError("unknown_organisation"); $("org").focus(); return; }
    const role = form.querySelector("input[name=role]:checked");
    if (!role) { showError("choose_role"); form.querySelector("input[name=role]").focus(); return; }
    showError(null);
    setStatus("joining");
    form.querySelector("button").disabled = true;
    sendJoin({
      type: "join",
      name: name,
      organisation_id: Number($("org").value),
      role: role.value,
      attendance: form.querySelector("input[name=attendance]:checked").value,
      function: $("function").value.trim(),
    });
  });

  $("roster").addEventListener("change", () => { showError(null); renderRoster(); });
  $("card-form").addEventListener("submit", (event) => { event.preventDefault(); submitCard(); });
  $("card-cancel").addEventListener("click", () => { stopEditing(); $("card-text").focus(); });
  $("cards").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-act]");
    if (button) cardAction(button.dataset.act, button.closest("li").dataset.id);
  });
  $("survey-form").addEventListener("submit", (event) => { event.preventDefault(); submitSurvey(); });
  $("ballot").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-d]");
    if (button && button.getAttribute("aria-disabled") !== "true") castVote(button.closest("li").dataset.id, Number(button.dataset.d));
  });

  $("lang").addEventListener("click", () => {
    const next = lang === "sv" ? "en" : "sv";
    store.set("tk.lang", next);
    loadLanguage(next);
  });

  // The browser knows before the socket does: stop using a dead line, come back at once.
  window.addEventListener("offline", dropSocket);
  window.addEventListener("online", reconnectNow);
  // A phone that slept may hold a dead socket: check it when the page is back.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible" || ended) return;
    if (!ws) { reconnectNow(); return; }
    const before = lastHeard;
    if (send({ type: "ping" })) setTimeout(() => { if (ws && lastHeard === before) dropSocket(); }, 5000);
  });

  const preferred = store.get("tk.lang") ||
    ((navigator.language || "sv").toLowerCase().startsWith("en") ? "en" : "sv");
  loadLanguage(preferred).finally(connect);
})();
