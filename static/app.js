// Transcript <-> player: clicking a line (or Enter/Space on it) plays from it; the line being
// played is highlighted and, while following is on, kept in view.
(function () {
  "use strict";

  function lines() {
    return Array.from(document.querySelectorAll("#transcript .segment"));
  }

  function currentLine(all, t) {
    // Lines are sorted by start time: binary search for the last one starting at or before t.
    let lo = 0, hi = all.length - 1, found = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (parseFloat(all[mid].dataset.start) <= t) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    if (found === null) return null;
    const line = all[found];
    return t < parseFloat(line.dataset.end) + 0.5 ? line : null;
  }

  function setup() {
    const player = document.getElementById("player");
    if (!player) return;
    let playing = null;
    let all = lines();
    // The speaker filter and speaker edits replace the transcript list: look the lines up again.
    document.body.addEventListener("htmx:afterSettle", function () {
      if (playing) playing.classList.remove("playing");
      all = lines();
      playing = null;
    });

    const start = parseFloat(player.dataset.start || "0");
    if (start > 0) {
      const seek = () => { player.currentTime = start; };
      if (player.readyState >= 1) seek(); else player.addEventListener("loadedmetadata", seek, { once: true });
      const quoted = document.querySelector("#transcript .quoted");
      if (quoted) quoted.scrollIntoView({ block: "center" });
    }

    // Following playback keeps the line being played in view; readers who scroll away to read
    // on their own turn it off with the button under the player.
    const toggle = document.getElementById("follow-toggle");
    let following = true;
    if (toggle) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        following = !following;
        toggle.setAttribute("aria-pressed", String(following));
      });
    }

    function outOfView(line) {
      const box = line.getBoundingClientRect();
      return box.top < 0 || box.bottom > window.innerHeight;
    }

    // The transcript holds a window of lines. Playing past its end brings the next chunk;
    // a seek far outside it (the timeline, an agenda time) opens the window there instead.
    let fetching = false;
    document.body.addEventListener("htmx:afterRequest", function () { fetching = false; });
    function bringLinesFor(t) {
      const list = document.getElementById("transcript");
      if (fetching || !list || !all.length || typeof htmx === "undefined") return;
      const first = parseFloat(all[0].dataset.start);
      const lastEnd = parseFloat(all[all.length - 1].dataset.end);
      const later = list.querySelector(".more-lines.later a");
      const earlier = list.querySelector(".more-lines.earlier a");
      if (t > lastEnd && later && t - lastEnd < 60) {
        fetching = true;
        htmx.trigger(later, "click");
      } else if (following && ((t > lastEnd && later) || (t < first && earlier))) {
        fetching = true;
        const url = list.dataset.linesUrl;
        htmx.ajax("GET", url + (url.indexOf("?") < 0 ? "?" : "&") + "at=" + Math.floor(t * 1000),
          { target: "#transcript", swap: "outerHTML" });
      }
    }

    function showPlaying() {
      const line = currentLine(all, player.currentTime);
      if (!line) bringLinesFor(player.currentTime);
      if (line === playing) return;
      if (playing) playing.classList.remove("playing");
      if (line) line.classList.add("playing");
      playing = line;
      // Only a line out of view moves the page: one in view stays where the reader has it.
      if (line && following && outOfView(line)) line.scrollIntoView({ block: "center" });
    }
    player.addEventListener("timeupdate", showPlaying);
    // Lines that arrived may hold the moment playing (a paused player sends no more updates).
    document.body.addEventListener("htmx:afterSettle", function () {
      if (player.currentTime > 0) showPlaying();
    });

    function playFrom(line) {
      player.currentTime = parseFloat(line.dataset.start);
      player.play().catch(function () { /* autoplay may be blocked; the seek still happened */ });
    }

    document.addEventListener("click", function (event) {
      const line = event.target.closest("#transcript .segment");
      if (!line || event.target.closest("a, button, select, input, form, .line-editor")) return;
      // Selecting words to quote them is not a request to play.
      const selection = window.getSelection();
      if (selection && !selection.isCollapsed) return;
      playFrom(line);
    });

    // Enter or Space on a focused line plays from it, in place (no page load; Space does not
    // scroll the page).
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" && event.key !== " ") return;
      const line = event.target.closest && event.target.closest("#transcript .segment");
      if (!line || event.target !== line) return;
      event.preventDefault();
      playFrom(line);
    });
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.querySelector(button.dataset.copy);
    if (!source) return;
    source.select();
    (navigator.clipboard ? navigator.clipboard.writeText(source.value) : Promise.reject())
      .then(() => { button.textContent = "Copied"; })
      .catch(() => { document.execCommand("copy"); button.textContent = "Copied"; });
  });

  document.addEventListener("DOMContentLoaded", setup);
})();

// --- Speakers: timeline seeking and refused edits (speakers feature) ---
(function () {
  "use strict";

  // A band on the speaker timeline is a link to that quote; with the player on the page, seek instead.
  document.addEventListener("click", function (event) {
    const turn = event.target.closest(".timeline .turn[data-start]");
    const player = document.getElementById("player");
    if (!turn || !player || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    player.currentTime = parseFloat(turn.dataset.start);
    player.play().catch(function () { /* autoplay may be blocked; the seek still happened */ });
  });

  // The transcript keeps the line being read where it was on the screen when lines change
  // around it: `kept` is that line and its place, restored once the new lines have settled.
  let kept = null;
  document.addEventListener("htmx:configRequest", function (event) {
    const elt = event.detail.elt;
    if (elt.closest && elt.closest("#transcript .more-lines.earlier")) {
      // Lines brought in above the window must not push the first line down the page.
      const first = document.querySelector("#transcript .segment");
      if (first) kept = { id: first.id, top: first.getBoundingClientRect().top, elt: elt };
    } else if (elt.hasAttribute && elt.hasAttribute("data-keep-place")) {
      // Reloading after a speaker edit opens the window at the first line in view, not at
      // the start of the hearing.
      const inView = Array.from(document.querySelectorAll("#transcript .segment")).find(function (line) {
        return line.getBoundingClientRect().bottom > 0;
      });
      if (!inView || "at" in event.detail.parameters) return;
      event.detail.parameters.at = inView.dataset.startMs;
      kept = { id: inView.id, top: inView.getBoundingClientRect().top, elt: elt };
    }
  });
  // Only once the request that asked has settled: a speaker edit's own answer (the panel)
  // settles after the reload it triggers was asked for, and must not use up the place.
  document.addEventListener("htmx:afterSettle", function (event) {
    const asker = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!kept || asker !== kept.elt) return;
    const line = document.getElementById(kept.id);
    if (line) window.scrollBy(0, line.getBoundingClientRect().top - kept.top);
    kept = null;
  });

  // htmx leaves 4xx answers unswapped; speaker edits send their reason with this header to be shown.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("X-Swap-On-Error") === "true") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
// --- end speakers ---

// --- Testimony: picking transcript lines for the testimony form ---
(function () {
  "use strict";

  function boxes() {
    return Array.from(document.querySelectorAll('input[type=checkbox][form="testimony-form"]'));
  }

  function clock(seconds) {
    const s = Math.floor(seconds);
    return Math.floor(s / 3600) + ":" + String(Math.floor(s % 3600 / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  }

  // Say what is selected, and who spoke it, so the clerk sees what will be recorded.
  function describe() {
    const status = document.getElementById("testimony-selection");
    const ticked = boxes().filter(function (box) { return box.checked; });
    boxes().forEach(function (box) {
      const line = box.closest(".segment");
      if (line) line.classList.toggle("selected-for-testimony", box.checked);
    });
    if (!status) return;
    if (!ticked.length) { status.textContent = "No lines selected."; return; }
    const lines = ticked.map(function (box) { return box.closest(".segment"); }).filter(Boolean);
    const names = Array.from(new Set(ticked.map(function (box) { return box.dataset.speakerName; }).filter(Boolean)));
    let text = ticked.length + " line" + (ticked.length === 1 ? "" : "s") + " selected";
    if (lines.length) {
      text += " (" + clock(parseFloat(lines[0].dataset.start)) + "–" + clock(parseFloat(lines[lines.length - 1].dataset.end)) + ")";
    }
    if (names.length) text += ", spoken by " + names.join(", ");
    status.textContent = text + ".";
  }

  // Shift-click ticks or unticks every line between the last one clicked and this one.
  let last = null;
  document.addEventListener("click", function (event) {
    const box = event.target.closest('input[type=checkbox][form="testimony-form"]');
    if (!box) return;
    const all = boxes();
    if (event.shiftKey && last && last !== box) {
      const a = all.indexOf(last), b = all.indexOf(box);
      all.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (other) { other.checked = box.checked; });
    }
    last = box;
    describe();
  });

  // An agenda time on the hearing page seeks the player instead of reloading the page.
  document.addEventListener("click", function (event) {
    const link = event.target.closest("a[data-seek]");
    const player = document.getElementById("player");
    if (!link || !player || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    player.currentTime = parseFloat(link.dataset.seek);
    player.play().catch(function () { /* autoplay may be blocked; the seek still happened */ });
  });

  document.addEventListener("DOMContentLoaded", describe);
  document.addEventListener("htmx:afterSettle", describe);
})();
// --- end testimony ---

// Forms that destroy something ask first (no inline handlers: the CSP allows none).
document.addEventListener("submit", function (event) {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});

// --- Quotes: a link for selected lines, a link to the moment playing, the quote in view ---
(function () {
  "use strict";

  function hearingBase() {
    const link = document.getElementById("moment-link");
    return link ? link.dataset.base : null;
  }

  // Selecting text across transcript lines offers one link from the first line to the last.
  function selectedLines() {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return [];
    const range = selection.getRangeAt(0);
    return Array.from(document.querySelectorAll("#transcript .segment[data-start-ms]"))
      .filter(function (line) { return range.intersectsNode(line); });
  }

  function offerSelectionLink() {
    let offer = document.getElementById("selection-link");
    const chosen = selectedLines();
    const base = hearingBase() || (function () {
      const article = document.querySelector("article.hearing");
      return article ? "/hearings/" + article.dataset.hearing + "/at/" : null;
    })();
    if (!chosen.length || !base) { if (offer) offer.hidden = true; return; }
    if (!offer) {
      offer = document.createElement("a");
      offer.id = "selection-link";
      offer.className = "selection-link button";
      document.body.appendChild(offer);
    }
    const first = chosen[0], last = chosen[chosen.length - 1];
    offer.href = base + first.dataset.startMs + "-" + last.dataset.endMs;
    offer.textContent = "Quote " + (chosen.length === 1 ? "this line" : "these " + chosen.length + " lines");
    offer.hidden = false;
  }
  document.addEventListener("selectionchange", function () { window.requestAnimationFrame(offerSelectionLink); });

  document.addEventListener("DOMContentLoaded", function () {
    const hint = document.getElementById("select-hint");
    if (hint) hint.hidden = false;
    // "Link to this moment" follows the player.
    const player = document.getElementById("player");
    const moment = document.getElementById("moment-link");
    if (player && moment) {
      moment.hidden = false;
      const update = function () { moment.href = moment.dataset.base + Math.floor(player.currentTime * 1000); };
      player.addEventListener("timeupdate", update);
      player.addEventListener("seeked", update);
      update();
    }
    // On arrival at a quote, the cited lines and the citation box are both in view: the box
    // is pinned to the bottom of the window, and the lines are brought above it.
    const cite = document.getElementById("cite");
    const quoted = document.querySelectorAll("#transcript .quoted");
    if (cite && quoted.length) {
      cite.classList.add("pinned");
      document.body.classList.add("has-pinned-cite");
      const unpin = document.getElementById("unpin-cite");
      if (unpin) {
        unpin.hidden = false;
        unpin.addEventListener("click", function () {
          cite.classList.remove("pinned");
          document.body.classList.remove("has-pinned-cite");
          unpin.hidden = true;
        });
      }
      const top = quoted[0].getBoundingClientRect().top + window.scrollY;
      const room = window.innerHeight - cite.offsetHeight;
      window.scrollTo(0, Math.max(top - Math.max(room / 4, 10), 0));
    }
  });

  // The correction editor: Ctrl+Enter saves, Escape cancels; a glossary spelling replaces the word.
  document.addEventListener("keydown", function (event) {
    const editor = event.target.closest && event.target.closest(".line-editor");
    if (!editor) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      const form = event.target.closest("form");
      if (form) { event.preventDefault(); form.requestSubmit(); }
    } else if (event.key === "Escape") {
      const cancel = editor.querySelector(".cancel-edit");
      if (cancel) { event.preventDefault(); cancel.click(); }
    }
  });
  document.addEventListener("click", function (event) {
    const button = event.target.closest(".use-spelling");
    if (!button) return;
    const editor = button.closest(".line-editor");
    const box = editor && editor.querySelector(".line-text");
    if (!box) return;
    const heard = button.dataset.heard.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    box.value = box.value.replace(new RegExp("\\b" + heard + "\\b", "g"), button.dataset.term);
    const term = editor.querySelector(".term-input");
    if (term && !term.value) term.value = button.dataset.term;
    box.focus();
  });
})();
