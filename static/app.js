// Transcript <-> player: clicking a line seeks, the line being played is highlighted.
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
    const all = lines();

    const start = parseFloat(player.dataset.start || "0");
    if (start > 0) {
      const seek = () => { player.currentTime = start; };
      if (player.readyState >= 1) seek(); else player.addEventListener("loadedmetadata", seek, { once: true });
      const quoted = document.querySelector("#transcript .quoted");
      if (quoted) quoted.scrollIntoView({ block: "center" });
    }

    player.addEventListener("timeupdate", function () {
      const line = currentLine(all, player.currentTime);
      if (line === playing) return;
      if (playing) playing.classList.remove("playing");
      if (line) line.classList.add("playing");
      playing = line;
    });

    document.addEventListener("click", function (event) {
      const line = event.target.closest("#transcript .segment");
      if (!line || event.target.closest("a, button, select, input, form")) return;
      player.currentTime = parseFloat(line.dataset.start);
      player.play().catch(function () { /* autoplay may be blocked; the seek still happened */ });
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
