/*
 * HQ console — the browser side. Plain script, no inline code anywhere (the CSP allows `script-src 'self'` only).
 *
 * (a) Live updates: `<main id="main" data-live="fleet alerts">` lists the page's topics. The page opens one
 *     EventSource on /live?topics=… ; each message (a topic name, never data) re-fetches this page with
 *     `X-Console-Partial: 1` (the server answers main's inner HTML, with the user's own session and scope) and
 *     swaps it in — debounced 300 ms, scroll and focus kept, and never while a form field in main has focus or
 *     holds unsaved input (the swap waits until the field is left and the input sent).
 * (b) `<form data-confirm="text">` asks confirm(text) before it is submitted.
 * (c) Every `[data-chart="ID"]` element becomes an ECharts chart with the options in `<script type=
 *     "application/json" id="ID">`; charts are disposed and re-created after a swap and resized with the window.
 * (d) A small dot in the header: green while the live stream is open, grey when it fails.
 * (e) `<form data-upload="URL">` with a file input: on submit the chosen file's bytes are POSTed raw to URL
 *     (`application/octet-stream`; the form's other fields in the query string, its `_csrf` in the x-csrf-token
 *     header, `X-Console-Partial: 1`) and the answer (main's inner HTML) replaces main; live refreshes stop
 *     there (they would bring this URL's page back over the answer).
 */
/* global window, document, location, fetch, EventSource, CustomEvent */
(function () {
  'use strict';

  var DEBOUNCE_MS = 300;
  var RECONNECT_MS = 30000;

  var main = null;
  var source = null;
  var dot = null;
  var timer = null;
  var inFlight = false;
  var again = false;
  var pending = false;
  var dirty = false;
  var charts = [];
  var frozen = false; // main shows an upload's answer (not this URL's page): live refreshes would replace it

  function isField(el) {
    return !!el && (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA' || el.isContentEditable === true);
  }

  /** A form field in main has focus, or main holds input not yet sent: a swap would lose it. */
  function busy() {
    var active = document.activeElement;
    return dirty || (isField(active) && main.contains(active));
  }

  // ---- (c) charts ----------------------------------------------------------------------------------------
  function disposeCharts() {
    for (var i = 0; i < charts.length; i++) {
      try {
        charts[i].dispose();
      } catch {
        /* already gone */
      }
    }
    charts = [];
  }

  function initCharts(root) {
    if (!window.echarts) return;
    var els = root.querySelectorAll('[data-chart]');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var data = document.getElementById(el.getAttribute('data-chart'));
      if (!data) continue;
      try {
        var existing = window.echarts.getInstanceByDom(el);
        if (existing) existing.dispose();
        var chart = window.echarts.init(el);
        chart.setOption(JSON.parse(data.textContent || 'null') || {});
        charts.push(chart);
      } catch (e) {
        if (window.console) window.console.error('chart', el.getAttribute('data-chart'), e);
      }
    }
  }

  function resizeCharts() {
    for (var i = 0; i < charts.length; i++) {
      try {
        charts[i].resize();
      } catch {
        /* disposed */
      }
    }
  }

  // ---- (a) live refresh ----------------------------------------------------------------------------------
  /** Where focus is, to put it back after the swap: an element id, or a link/button by its href/name/text. */
  function focusKey() {
    var a = document.activeElement;
    if (!a || a === document.body || !main.contains(a)) return null;
    if (a.id) return { id: a.id };
    return { tag: a.tagName, href: a.getAttribute('href'), name: a.getAttribute('name'), text: a.textContent };
  }

  function restoreFocus(key) {
    if (!key) return;
    var el = null;
    if (key.id) el = document.getElementById(key.id);
    else {
      var list = main.querySelectorAll(key.tag);
      for (var i = 0; i < list.length && !el; i++) {
        var c = list[i];
        if (c.getAttribute('href') === key.href && c.getAttribute('name') === key.name && c.textContent === key.text) el = c;
      }
    }
    if (el && main.contains(el)) {
      try {
        el.focus({ preventScroll: true });
      } catch {
        el.focus();
      }
    }
  }

  function swap(html) {
    var x = window.scrollX;
    var y = window.scrollY;
    var key = focusKey();
    disposeCharts();
    main.innerHTML = html;
    main.removeAttribute('data-live-pending');
    dirty = false;
    initCharts(main);
    window.scrollTo(x, y);
    restoreFocus(key);
    main.dispatchEvent(new CustomEvent('console:refreshed', { bubbles: true }));
  }

  /** A swap is held back for the user's input (`data-live-pending` on main shows it). */
  function hold() {
    pending = true;
    main.setAttribute('data-live-pending', '1');
  }

  function refresh() {
    timer = null;
    if (frozen) return;
    if (busy()) {
      hold();
      return;
    }
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    pending = false;
    fetch(location.href, { headers: { 'X-Console-Partial': '1' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) {
        var url = new URL(res.url || location.href, location.href);
        // the session ended: the console sent the sign-in page; show it as a page, not inside main
        if (res.redirected && url.pathname === '/login') {
          location.reload();
          return null;
        }
        return res.ok ? res.text() : null;
      })
      .then(function (html) {
        if (html === null) return;
        if (busy()) {
          hold(); // the user started typing meanwhile: keep their input, swap later
          return;
        }
        swap(html);
      })
      .catch(function () {
        /* offline for a moment: the next message tries again */
      })
      .then(function () {
        inFlight = false;
        if (again) {
          again = false;
          schedule();
        }
      });
  }

  function schedule() {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  }

  // ---- (d) the live dot -----------------------------------------------------------------------------------
  function makeDot() {
    var d = document.createElement('span');
    d.className = 'live-dot';
    d.setAttribute('role', 'status');
    // CSSOM styles (allowed by the CSP, unlike a style attribute written as markup)
    d.style.display = 'inline-block';
    d.style.width = '9px';
    d.style.height = '9px';
    d.style.borderRadius = '50%';
    d.style.marginRight = '4px';
    d.style.verticalAlign = 'middle';
    var host = document.querySelector('header .who') || document.querySelector('header') || document.body;
    host.insertBefore(d, host.firstChild);
    return d;
  }

  function setDot(on) {
    if (!dot) return;
    dot.setAttribute('data-state', on ? 'on' : 'off');
    dot.style.background = on ? '#2e9d4f' : '#9aa3af';
    var zh = (document.documentElement.lang || '').indexOf('zh') === 0;
    var label = on ? (zh ? '实时更新已连接' : 'Live updates on') : zh ? '实时更新已断开' : 'Live updates off';
    dot.title = label;
    dot.setAttribute('aria-label', label);
  }

  function connect(topics) {
    if (!window.EventSource) return;
    var wasDown = false;
    source = new EventSource('/live?topics=' + encodeURIComponent(topics.join(',')));
    source.onopen = function () {
      setDot(true);
      if (wasDown) schedule(); // changes may have happened while the stream was down
      wasDown = false;
    };
    source.onmessage = function () {
      schedule();
    };
    source.onerror = function () {
      setDot(false);
      wasDown = true;
      if (source && source.readyState === 2) {
        // closed for good (e.g. the session ended: 401): try a new stream later
        source = null;
        setTimeout(function () {
          connect(topics);
        }, RECONNECT_MS);
      }
    };
  }

  // ---- (b) confirmations, and input tracking -------------------------------------------------------------
  document.addEventListener(
    'submit',
    function (ev) {
      var form = ev.target;
      if (!form || !form.getAttribute) return;
      var text = form.getAttribute('data-confirm');
      if (text !== null && !window.confirm(text)) {
        ev.preventDefault();
        ev.stopImmediatePropagation();
        return;
      }
      if (main && main.contains(form)) dirty = false; // sent: a refresh no longer loses it
      if (form.getAttribute('data-upload') !== null && main) {
        ev.preventDefault();
        upload(form);
      }
    },
    true,
  );

  // ---- (e) raw file uploads -------------------------------------------------------------------------------
  function upload(form) {
    var file = null;
    var token = '';
    var query = [];
    var fields = form.querySelectorAll('input, select, textarea');
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type === 'file') file = f.files && f.files[0] ? f.files[0] : null;
      else if (f.name === '_csrf') token = f.value;
      else if (f.name) query.push(encodeURIComponent(f.name) + '=' + encodeURIComponent(f.value));
    }
    if (!file) return;
    form.setAttribute('data-uploading', '1');
    fetch(form.getAttribute('data-upload') + '?' + query.join('&'), {
      method: 'POST',
      body: file,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'Content-Type': 'application/octet-stream', 'X-CSRF-Token': token, 'X-Console-Partial': '1' },
    })
      .then(function (res) {
        return res.text();
      })
      .then(function (html) {
        frozen = true;
        swap(html);
        window.scrollTo(0, 0);
      })
      .catch(function () {
        form.removeAttribute('data-uploading');
      });
  }

  function start() {
    if (main) return;
    main = document.getElementById('main');
    if (!main) return;
    initCharts(document);
    window.addEventListener('resize', resizeCharts);
    main.addEventListener('input', function (ev) {
      if (isField(ev.target)) dirty = true;
    });
    main.addEventListener('focusout', function () {
      // a swap that waited for the field runs once focus left it (and nothing unsent remains)
      setTimeout(function () {
        if (pending && !busy()) schedule();
      }, 0);
    });
    var topics = (main.getAttribute('data-live') || '').split(/\s+/).filter(function (t) {
      return t.length > 0;
    });
    if (topics.length > 0) {
      dot = makeDot();
      setDot(false);
      connect(topics);
    }
  }

  // deferred scripts (this one, then ECharts) have all run when DOMContentLoaded fires
  if (document.readyState === 'complete') start();
  else {
    document.addEventListener('DOMContentLoaded', start);
    window.addEventListener('load', start);
  }
})();
