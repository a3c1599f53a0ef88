"""The page scripts of ``step_browser.py``: what it installs in the page (first-view timing,
instrumentation of painted frames, cursor moves and keydowns) and evaluates there (the page's
state, a timed playback). A painted frame is identified by the base64 of its first pixels.
"""

from __future__ import annotations

KEY_CHARS = 64  # base64 characters of a frame's first pixels that identify it

# Installed before any page script: notes when each graph is first drawn after navigation.
FIRST_VIEW_JS = """
(() => {
  const B = window.__benchFirst = {heatmap: null, curve: null};
  const hooked = new Set();
  function drawn(id) {
    const gd = document.querySelector('#' + id + ' .js-plotly-plot');
    if (!gd || !gd._fullData || !gd._fullData.length) return false;
    if (id === 'pixels') return !!gd.querySelector('.heatmaplayer image');
    return true;
  }
  function mark(id, key) {
    if (B[key] === null && drawn(id)) {
      requestAnimationFrame(() => { if (B[key] === null) B[key] = performance.now(); });
    }
  }
  function poll() {
    for (const [id, key] of [['pixels', 'heatmap'], ['lightcurve', 'curve']]) {
      const gd = document.querySelector('#' + id + ' .js-plotly-plot');
      if (gd && gd.on && !hooked.has(id)) {
        hooked.add(id);
        gd.on('plotly_afterplot', () => mark(id, key));
      }
      mark(id, key);
    }
    if (B.heatmap === null || B.curve === null) requestAnimationFrame(poll);
  }
  requestAnimationFrame(poll);
})();
"""

# The first bytes of the painted frame, base64 (as the bench keys frames read with astropy).
PAINTED_KEY_JS = """
  const paintedKey = () => {
    const values = window.tpf.frames && window.tpf.frames.paintedPixels();
    if (!values) return null;
    const bytes = new Uint8Array(values.buffer, values.byteOffset, Math.min(values.byteLength, 48));
    return btoa(String.fromCharCode.apply(null, bytes)).slice(0, KEY_CHARS);
  };
""".replace("KEY_CHARS", str(KEY_CHARS))

# Installed once the page is drawn: frames painted, cursor moves, keydowns.
INSTRUMENT_JS = """
() => {
  PAINTED_KEY
  const cursor = document.getElementById('cursor');
  const B = window.__bench = {key: null, plots: [], cursor: []};
  window.addEventListener('keydown', () => { B.key = performance.now(); }, true);
  document.addEventListener('tpf-painted', () => {
    const rec = {t: performance.now(), paint: null, key: paintedKey()};
    B.plots.push(rec);
    requestAnimationFrame(() => { rec.paint = performance.now(); });
  });
  new MutationObserver(() => {
    const rec = {t: performance.now(), frame: cursor.dataset.frame, paint: null};
    B.cursor.push(rec);
    requestAnimationFrame(() => { rec.paint = performance.now(); });
  }).observe(cursor, {attributes: true, attributeFilter: ['data-frame']});
}
""".replace("PAINTED_KEY", PAINTED_KEY_JS)

STATE_JS = """
() => {
  PAINTED_KEY
  const slider = document.querySelector('#cadence [role=slider]');
  const cursor = document.getElementById('cursor');
  const readout = document.getElementById('readout-cadence');
  return {
    slider: slider ? Number(slider.getAttribute('aria-valuenow')) : null,
    cursor: cursor && cursor.dataset.frame !== undefined ? Number(cursor.dataset.frame) : null,
    readout: readout ? readout.textContent.trim() : null,
    key: paintedKey(),
  };
}
""".replace("PAINTED_KEY", PAINTED_KEY_JS)

PLAY_JS = """
async (ms) => {
  const B = window.__bench;
  const slider = () => Number(document.querySelector('#cadence [role=slider]')
                              .getAttribute('aria-valuenow'));
  const n0 = B.plots.length;
  const v0 = slider();
  const t0 = performance.now();
  document.getElementById('play').click();
  await new Promise(resolve => setTimeout(resolve, ms));
  const v1 = slider();
  const t1 = performance.now();
  document.getElementById('play').click();
  return {n0, v0, v1, t1, seconds: (t1 - t0) / 1000};
}
"""
